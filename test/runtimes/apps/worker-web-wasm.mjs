// wasm-session/web in a Worker with the module imported at bundle time: wasm.
import wasm from 'wasm-session/wasm';
import { initWasm } from 'wasm-session';
import { webWorker } from './worker-apps.mjs';
await initWasm(wasm);
export default webWorker();
