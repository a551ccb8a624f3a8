// fastify 5 + @fastify/secure-session (libsodium secretbox, the session in the cookie). Same handler.
// BENCH_VALUE_BYTES: a padding string of that many bytes in the session beside the counter.
import { createHash } from 'node:crypto';
import Fastify from 'fastify';
import secureSession from '@fastify/secure-session';
import { HOST, SECRET, announce } from './_common.js';

const app = Fastify({ logger: false });
// A 32-byte key given directly (the `secret`+`salt` form only adds a startup KDF).
await app.register(secureSession, { key: createHash('sha256').update(SECRET).digest(), cookie: { path: '/', httpOnly: true, maxAge: 86_400 } });
const pad = 'x'.repeat(Number(process.env.BENCH_VALUE_BYTES ?? 0));
app.get('/', async (req, reply) => {
  if (pad.length > 0 && req.session.get('pad') === undefined) req.session.set('pad', pad);
  const n = (req.session.get('n') ?? 0) + 1;
  req.session.set('n', n);
  reply.type('text/plain');
  return String(n);
});
await app.listen({ host: HOST, port: 0 });
announce(app.server, app.server.address().port, () => app.close());
