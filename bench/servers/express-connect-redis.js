// express 5 + express-session + connect-redis 9 over node-redis 5 (what connect-redis 9 needs).
// Round trips counted at the node-redis methods connect-redis calls (each awaited alone).
import { createServer } from 'node:http';
// BENCH_SESSION_MODULE=wasm-session/express-session: the same app with the one import changed.
import express from 'express';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { SECRET, countNodeRedis, listen, redisPort } from './_common.js';

const { default: session } = await import(process.env.BENCH_SESSION_MODULE ?? 'express-session');
const client = createClient({ socket: { host: '127.0.0.1', port: redisPort() } });
client.on('error', (err) => console.error('redis', err.message));
await client.connect();
countNodeRedis(client);

const app = express();
app.use(
  session({
    store: new RedisStore({ client, prefix: process.env.BENCH_SESSION_MODULE ? 'bench:wsc:' : 'bench:es:' }),
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
// GET /read: a returning request that only reads (express-session then touches: EXPIRE).
app.get('/read', (req, res) => {
  res.type('text/plain').send(String(req.session.n ?? 0));
});
listen(createServer(app), () => client.quit());
