// What each test app answers: the session as the handler saw it, after one increment.
import { initWasm } from 'wasm-session';

export const SECRET = 'runtime-tests-secret-0123456789-abcdefgh';

/** Why wasm did not load, asked only where auto picked js (then initWasm() rejects, saying what to do). */
let wasmWhy;
export async function answer(session, s) {
  const v = s.getValue();
  v.set('n', v.int('n') + 1);
  if (session.backend === 'js' && wasmWhy === undefined) {
    wasmWhy = await initWasm().then(
      () => ({ code: 'loaded', message: 'initWasm() succeeded after auto picked js' }),
      (e) => ({ code: e.code, message: e.message }),
    );
  }
  return { backend: session.backend, n: v.int('n'), isNew: s.isNew(), reason: s.reason ?? null, wasm: session.backend === 'js' ? wasmWhy : null };
}

export function listening(port) {
  console.log(JSON.stringify({ port }));
}
