// wasm-session on fastify via reply.raw (the node:http hooks of the manager), no plugin
import Fastify from 'fastify';
import { MemoryProvider, Session } from '../../../dist/index.js';
import { SECRET, announce } from '../../servers/_common.js';
const session = new Session(new MemoryProvider({ max: 100000 }), { cookieSecret: SECRET, backend: 'wasm' });
const app = Fastify({ logger: false });
app.get('/', async (req, reply) => {
  const store = await session.start(req.raw, reply.raw);
  const v = store.getValue();
  const n = v.int('n') + 1;
  v.set('n', n);
  reply.type('text/plain');
  return String(n);
});
await app.listen({ host: '127.0.0.1', port: 0 });
announce(app.server, app.server.address().port, () => app.close());
