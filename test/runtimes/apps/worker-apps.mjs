// The Cloudflare Worker apps, one with wasm-session/web and one with Hono. The
// Session is made at the first request: a Worker entry that imports the wasm
// module calls `await initWasm(wasm)` in its own body, after this file has run.
import { Hono } from 'hono';
import { MemoryProvider, Session, initWasm } from 'wasm-session';
import { startWeb } from 'wasm-session/web';
import { honoSession } from 'wasm-session/hono';
import { SECRET, answer } from './answer.mjs';

const newSession = () => new Session(new MemoryProvider(), { cookieSecret: SECRET });

/** How the wasm backend fails here without initWasm(module): what each failure says. */
async function diagnostics() {
  const describe = (e) => ({ name: e?.name, code: e?.code, message: e?.message, cause: e?.cause?.name ?? null });
  const out = { importMetaUrl: typeof import.meta.url };
  try {
    new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'wasm' });
    out.explicitWasm = 'constructed';
  } catch (e) {
    out.explicitWasm = describe(e);
  }
  // The smallest valid module (magic + version): Workers refuse to compile any bytes at run time.
  out.initFromBytes = await initWasm(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])).then(() => 'compiled', describe);
  return out;
}

export function webWorker() {
  let session;
  return {
    async fetch(request) {
      session ??= newSession();
      if (new URL(request.url).pathname === '/diagnostics') return Response.json(await diagnostics());
      const s = await startWeb(session, request);
      return s.commit(Response.json(await answer(session, s)));
    },
  };
}

export function honoWorker() {
  let app;
  return {
    fetch(request, env, ctx) {
      if (!app) {
        const session = newSession();
        app = new Hono();
        app.get('/diagnostics', async (c) => c.json(await diagnostics()));
        app.use(honoSession(session));
        app.get('/', async (c) => c.json(await answer(session, c.get('session'))));
      }
      return app.fetch(request, env, ctx);
    },
  };
}
