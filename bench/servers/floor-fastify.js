// The floor of the Fastify plugin rows: fastify 5 with everything the plugin adds but the
// session work. The library is loaded (a Session made), the request is decorated, the same
// three callback hooks run (onRequest, onError, onSend), and requests carry a cookie of the
// session cookie's size: the first request (no cookie) gets one; a returning one answers 2.
import Fastify from 'fastify';
import { MemoryProvider, Session } from '../../dist/index.js';
import { createCodec } from '../../dist/crypto/index.js';
import { HOST, SECRET, announce } from './_common.js';

const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: process.env.BENCH_BACKEND ?? 'wasm' });
const token = createCodec({ secrets: [SECRET], name: session.config.cookieName, backend: 'js' }).seal('AAAAAAAAAAAAAAAAAAAAAA', Date.now());
const line = `${session.config.cookieName}=${token}; Path=/; HttpOnly; SameSite=Lax`;

const app = Fastify({ logger: false });
app.decorateRequest('session', null);
app.addHook('onRequest', (request, _reply, done) => {
  request.session = request.headers.cookie === undefined ? null : session;
  done();
});
app.addHook('onError', (_request, _reply, _error, done) => done());
app.addHook('onSend', (_request, _reply, payload, done) => done(null, payload));
app.get('/', async (req, reply) => {
  reply.type('text/plain');
  if (req.session === null) reply.header('set-cookie', line);
  return req.session === null ? '1' : '2';
});
await app.listen({ host: HOST, port: 0 });
announce(app.server, app.server.address().port, () => app.close());
