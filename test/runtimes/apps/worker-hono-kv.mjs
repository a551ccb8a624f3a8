// The docs/runtimes.md recipe: Hono + wasm-session in a Worker, wasm imported at
// bundle time, sessions in Workers KV (binding SESSIONS), the secret from env.
import { Hono } from 'hono';
import wasm from 'wasm-session/wasm';
import { Session, initWasm } from 'wasm-session';
import { honoSession } from 'wasm-session/hono';
import { KVProvider } from './kv-provider.mjs';
import { answer } from './answer.mjs';

await initWasm(wasm);

let app;
export default {
  fetch(request, env, ctx) {
    if (!app) {
      // Made at the first request: bindings and secrets arrive with `env`.
      const session = new Session(new KVProvider(env.SESSIONS), { cookieSecret: env.SESSION_SECRET, rolling: false });
      app = new Hono();
      app.use(honoSession(session));
      app.get('/', async (c) => c.json(await answer(session, c.get('session'))));
    }
    return app.fetch(request, env, ctx);
  },
};
