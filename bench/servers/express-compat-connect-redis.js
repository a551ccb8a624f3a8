// express 5 + wasm-session/express-session + connect-redis 9 over node-redis 5:
// express-connect-redis.js with the one import changed.
import { createServer } from 'node:http';
import express from 'express';
import session from 'wasm-session/express-session';
import { RedisStore } from 'connect-redis';
import { createClient } from 'redis';
import { SECRET, countNodeRedis, listen, redisPort } from './_common.js';

const client = createClient({ socket: { host: '127.0.0.1', port: redisPort() } });
client.on('error', (err) => console.error('redis', err.message));
await client.connect();
countNodeRedis(client);

const app = express();
app.use(
  session({
    store: new RedisStore({ client, prefix: 'bench:wsc:' }),
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
listen(createServer(app), () => client.quit());
