// A fetch-handler app with wasm-session/web, on Bun.serve or Deno.serve.
import { MemoryProvider, Session } from 'wasm-session';
import { startWeb } from 'wasm-session/web';
import { SECRET, answer, listening } from './answer.mjs';

const session = new Session(new MemoryProvider(), { cookieSecret: SECRET });
async function handler(request) {
  try {
    const s = await startWeb(session, request);
    return await s.commit(Response.json(await answer(session, s)));
  } catch (e) {
    return Response.json({ error: String(e && e.stack) }, { status: 500 });
  }
}
if (globalThis.Bun) {
  const server = globalThis.Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: handler });
  listening(server.port);
} else if (globalThis.Deno) {
  globalThis.Deno.serve({ port: 0, hostname: '127.0.0.1', onListen: ({ port }) => listening(port) }, handler);
} else {
  throw new Error('run with bun or deno');
}
