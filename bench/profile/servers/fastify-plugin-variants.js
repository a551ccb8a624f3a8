// Investigation: copies of the wasm-session Fastify plugin (dist/adapters/fastify.js)
// with one change each, to find what its extra per-request CPU comes from.
// VARIANT = copy | nosaved | cbsend | shimclass | all
import Fastify from 'fastify';
import fp from 'fastify-plugin';
import { MemoryProvider, Session } from '../../../dist/index.js';
import { RequestSession } from '../../../dist/adapters/request-session.js';
import { HOST, SECRET, announce } from '../../servers/_common.js';

const VARIANT = process.env.VARIANT ?? 'copy';
const on = (v) => VARIANT === v || VARIANT === 'all';

function replyResponse(reply) {
  return {
    getHeader: (name) => reply.getHeader(name),
    setHeader(name, value) {
      reply.removeHeader(name);
      reply.header(name, Array.isArray(value) ? [...value] : value);
    },
    removeHeader: (name) => reply.removeHeader(name),
    get headersSent() {
      return reply.raw.headersSent;
    },
  };
}
class ReplyResponse {
  constructor(reply) {
    this.reply = reply;
  }
  getHeader(name) {
    return this.reply.getHeader(name);
  }
  setHeader(name, value) {
    this.reply.removeHeader(name);
    this.reply.header(name, Array.isArray(value) ? [...value] : value);
  }
  removeHeader(name) {
    return this.reply.removeHeader(name);
  }
  get headersSent() {
    return this.reply.raw.headersSent;
  }
}
const saved = Symbol('wasm-session.saved');
const plugin = async (fastify, options) => {
  const session = options.session;
  fastify.decorateRequest('session', null);
  fastify.addHook('onRequest', async (request, reply) => {
    request.session = await RequestSession.start(session, request.raw, on('shimclass') ? new ReplyResponse(reply) : replyResponse(reply));
  });
  if (on('cbsend')) {
    fastify.addHook('onSend', (request, _reply, payload, done) => {
      const s = request.session;
      if (s === null || !s.getValue().isChanged()) return done(null, payload);
      s.flush().then(() => done(null, payload), done);
    });
  } else {
    fastify.addHook('onSend', async (request, _reply, payload) => {
      const s = request.session;
      if (on('nosaved')) {
        if (s === null) return payload;
      } else {
        if (s === null || request[saved] === true) return payload;
        request[saved] = true;
      }
      await s.flush();
      return payload;
    });
  }
};
const fastifySession = fp(plugin, { fastify: '5.x', name: 'wasm-session-variant' });

const session = new Session(new MemoryProvider({ max: 100_000 }), { cookieSecret: SECRET, backend: 'wasm' });
const app = Fastify({ logger: false });
await app.register(fastifySession, { session });
app.get('/', async (req, reply) => {
  const v = req.session.getValue();
  const n = v.int('n') + 1;
  v.set('n', n);
  reply.type('text/plain');
  return String(n);
});
await app.listen({ host: HOST, port: 0 });
announce(app.server, app.server.address().port, () => app.close());
