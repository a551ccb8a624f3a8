// express 5 + express-session on its MemoryStore (the default). Same handler.
// BENCH_SESSION_MODULE=wasm-session/express-session: the same app with the one
// import changed (the drop-in, on its own MemoryStore). BENCH_COOKIE_FORMAT=signed:
// the drop-in writing express-session's own s:<id>.<hmac> cookie.
import { createServer } from 'node:http';
import express from 'express';
import { SECRET, listen } from './_common.js';

const { default: session } = await import(process.env.BENCH_SESSION_MODULE ?? 'express-session');

const app = express();
const format = process.env.BENCH_COOKIE_FORMAT ? { cookieFormat: process.env.BENCH_COOKIE_FORMAT } : {};
app.use(session({ secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: 86_400_000 }, ...format }));
app.get('/', (req, res) => {
  const n = (req.session.n ?? 0) + 1;
  req.session.n = n;
  res.type('text/plain').send(String(n));
});
listen(createServer(app));
