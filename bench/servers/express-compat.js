// express 5 + wasm-session/express-session on its MemoryStore: the same app as
// express-session.js with the one import changed.
import { createServer } from 'node:http';
import express from 'express';
import session from 'wasm-session/express-session';
import { SECRET, listen } from './_common.js';

const app = express();
app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: 86_400_000 } }));
app.get('/', (req, res) => {
  const n = (req.session.n ?? 0) + 1;
  req.session.n = n;
  res.type('text/plain').send(String(n));
});
listen(createServer(app));
