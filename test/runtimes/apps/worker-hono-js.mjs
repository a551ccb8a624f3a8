// Hono in a Worker, no initWasm: auto picks js.
import { honoWorker } from './worker-apps.mjs';
export default honoWorker();
