// Investigation: fastify with two no-op async hooks (onRequest awaiting a resolved promise, onSend) — what the plugin's hook shape costs with no session work.
import Fastify from 'fastify';
import { announce } from '../../servers/_common.js';
const app = Fastify({ logger: false });
app.decorateRequest('session', null);
app.addHook('onRequest', async (request, reply) => { request.session = await Promise.resolve({ n: 1 }); });
app.addHook('onSend', async (request, reply, payload) => { await Promise.resolve(); return payload; });
app.get('/', async (req, reply) => { reply.type('text/plain'); return 'ok'; });
await app.listen({ host: '127.0.0.1', port: 0 });
announce(app.server, app.server.address().port, () => app.close());
