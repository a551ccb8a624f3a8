// wasm-session/web in a Worker, no initWasm: auto picks js.
import { webWorker } from './worker-apps.mjs';
export default webWorker();
