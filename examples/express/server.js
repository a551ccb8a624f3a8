// Example: wasm-session with Express 5 (`npm run example -- express`).
// Pages: a counter (/) and a login/logout page with "remember me" (/login).
import express from 'express';
import { expressSession } from 'wasm-session/express';
import { counterBody, createExampleSession, loginBody, page, rememberKeyFor, remembered } from '../common.js';

const session = createExampleSession();

const app = express();
app.set('etag', false);
app.use(express.urlencoded({ extended: false, limit: '10kb' }));
app.use(expressSession(session));

// Remember-me: a returning visitor with no session but a valid remember cookie is logged back in.
app.use(async (req, res, next) => {
  try {
    const value = req.session.getValue();
    if (!value.has('user')) {
      const psk = req.session.remembered();
      const user = psk && remembered.get(psk);
      if (user) {
        value.set('user', user);
        await req.session.refresh();
      }
    }
    next();
  } catch (err) {
    next(err);
  }
});

app.get('/', (req, res) => {
  const value = req.session.getValue();
  const count = value.int('count') + 1;
  value.set('count', count); // saved automatically before the response goes out
  res.set('cache-control', 'no-store').send(page('Counter', counterBody(req.session, count)));
});

app.get('/login', (req, res) => {
  const value = req.session.getValue();
  res.set('cache-control', 'no-store').send(page('Login', loginBody(value)));
});

app.post('/login', async (req, res) => {
  const user = String(req.body?.user ?? '').trim().slice(0, 40);
  if (!user) return res.redirect(303, '/login');
  req.session.getValue().set('user', user);
  await req.session.refresh(); // new ID on login: defeats session fixation
  if (req.body?.remember === '1') req.session.remember(rememberKeyFor(user));
  res.redirect(303, '/login');
});

app.post('/logout', async (req, res) => {
  const psk = req.session.remembered();
  if (psk) remembered.delete(psk);
  await req.session.destroy();
  req.session.forget();
  res.redirect(303, '/login');
});

app.use((req, res) => res.status(404).send(page('Not found', '<p>No such page.</p>')));

const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`wasm-session express example (crypto backend: ${session.backend}) listening on http://localhost:${server.address().port}/`);
});
