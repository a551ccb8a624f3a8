'use strict';
// The app a user of express-session writes, in CommonJS, with the middleware
// people mount beside it: passport 0.7 + passport-local, connect-flash,
// csrf-sync. `session` is whichever factory the test hands in
// (express-session itself, or wasm-session/express-session).
const express = require('express');
const { Passport } = require('passport');
const LocalStrategy = require('passport-local').Strategy;
const flash = require('connect-flash');
const { csrfSync } = require('csrf-sync');

const USERS = { ada: { id: '1', name: 'ada', password: 'lovelace' } };

function clientsApp(sessionMiddleware) {
  const app = express();
  const passport = new Passport();
  passport.use(
    new LocalStrategy((username, password, done) => {
      const u = USERS[username];
      if (!u || u.password !== password) return done(null, false, { message: 'Bad credentials' });
      return done(null, { id: u.id, name: u.name });
    }),
  );
  passport.serializeUser((user, done) => done(null, user.id));
  passport.deserializeUser((id, done) => done(null, id === '1' ? { id: '1', name: 'ada' } : false));
  const { generateToken, csrfSynchronisedProtection } = csrfSync();

  app.use(express.urlencoded({ extended: false }));
  app.use(sessionMiddleware);
  app.use(flash());
  app.use(passport.session());

  app.get('/state', (req, res) => {
    res.json({
      id: req.sessionID,
      user: req.user ? req.user.name : null,
      messages: req.session.messages || [],
      cart: req.session.cart || null,
      returnTo: req.session.returnTo || null,
    });
  });
  app.get('/private', (req, res) => {
    if (!req.user) {
      req.session.returnTo = req.originalUrl;
      return res.redirect('/login');
    }
    res.json({ user: req.user.name });
  });
  app.get('/cart', (req, res) => {
    req.session.cart = req.query.item;
    res.json({ ok: true });
  });
  // keepSessionInfo: the data from before login (returnTo, the cart, failure messages) survives the regenerate.
  app.post('/login', passport.authenticate('local', { failureRedirect: '/login', failureMessage: true, successReturnToOrRedirect: '/', keepSessionInfo: true }));
  app.post('/login-plain', passport.authenticate('local', { failureRedirect: '/login', successRedirect: '/' }));
  app.post('/logout', (req, res, next) => {
    req.logout((err) => (err ? next(err) : res.redirect('/')));
  });
  app.get('/flash', (req, res) => {
    req.flash('info', 'saved!');
    res.redirect('/show');
  });
  app.get('/show', (req, res) => res.json({ info: req.flash('info') }));
  app.get('/csrf', (req, res) => res.json({ token: generateToken(req) }));
  app.post('/transfer', csrfSynchronisedProtection, (req, res) => res.json({ ok: true }));
  app.use((err, req, res, next) => {
    if (res.headersSent) return next(err);
    res.status(err.statusCode || err.status || 500).json({ error: err.message, code: err.code || null });
  });
  return app;
}

module.exports = { clientsApp };
