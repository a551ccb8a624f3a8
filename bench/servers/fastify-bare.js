// fastify 5 without sessions: the ceiling for the Fastify plugin row.
import Fastify from 'fastify';
import { HOST, announce } from './_common.js';

const app = Fastify({ logger: false });
app.get('/', async (req, reply) => {
  reply.type('text/plain');
  return 'ok';
});
await app.listen({ host: HOST, port: 0 });
announce(app.server, app.server.address().port, () => app.close());
