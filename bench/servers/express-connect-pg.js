// express 5 + express-session + connect-pg-simple over a pg Pool of 10, on the same PostgreSQL as the
// PostgresProvider rows. GET /read only reads (express-session then calls the store's touch: an UPDATE).
import { createServer } from 'node:http';
import express from 'express';
import session from 'express-session';
import connectPgSimple from 'connect-pg-simple';
import pg from 'pg';
import { SECRET, listen, unavailable } from './_common.js';

const port = Number(process.env.BENCH_PG_PORT);
if (!port) unavailable('no PostgreSQL server (postgresql missing?)');
const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', max: 10 });
pool.on('error', () => {});
const PgStore = connectPgSimple(session);

const app = express();
app.use(
  session({
    store: new PgStore({ pool, pruneSessionInterval: false }),
    secret: SECRET,
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: 86_400_000 },
  }),
);
app.get('/', (req, res) => {
  const n = (req.session.n ?? 0) + 1;
  req.session.n = n;
  res.type('text/plain').send(String(n));
});
app.get('/read', (req, res) => {
  res.type('text/plain').send(String(req.session.n ?? 0));
});
listen(createServer(app), () => pool.end());
