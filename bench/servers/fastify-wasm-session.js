// fastify 5 + the wasm-session Fastify plugin (wasm-session/fastify) on the memory provider. Same handler.
// BENCH_PROVIDER=cookie: on CookieProvider instead; BENCH_VALUE_BYTES: a padding string beside the counter.
import Fastify from 'fastify';
import { MemoryProvider, Session } from '../../dist/index.js';
import { nativeAvailable } from '../../dist/crypto/index.js';
import { HOST, SECRET, announce, unavailable } from './_common.js';

let plugin;
try {
  const mod = await import('../../dist/adapters/fastify.js');
  plugin = mod.fastifySession ?? mod.default;
  if (typeof plugin !== 'function') unavailable('dist/adapters/fastify.js exports no plugin (fastifySession / default)');
} catch (err) {
  unavailable(`the Fastify plugin is not built yet (${err.code ?? err.message.split('\n')[0]})`);
}
const backend = process.env.BENCH_BACKEND ?? 'wasm';
if (backend === 'native' && !nativeAvailable()) unavailable('the native addon is not built (npm run build:native)');
let provider = new MemoryProvider({ max: 100_000 });
if (process.env.BENCH_PROVIDER === 'cookie') {
  const { CookieProvider } = await import('../../dist/providers/cookie/provider.js');
  provider = new CookieProvider();
}
const pad = 'x'.repeat(Number(process.env.BENCH_VALUE_BYTES ?? 0));
const session = new Session(provider, { cookieSecret: SECRET, backend });
const app = Fastify({ logger: false });
await app.register(plugin, { session });
app.get('/', async (req, reply) => {
  // The plugin restores the session in onRequest and saves a changed value in onSend.
  const v = req.session.getValue();
  if (pad.length > 0 && !v.has('pad')) v.set('pad', pad);
  const n = v.int('n') + 1;
  v.set('n', n);
  reply.type('text/plain');
  return String(n);
});
await app.listen({ host: HOST, port: 0 });
announce(app.server, app.server.address().port, () => app.close());
