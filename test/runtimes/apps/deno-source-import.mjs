// Deno without --allow-read: the module comes in as a source-phase import (no
// permission needed for a static import), then the Deno.serve app starts on wasm.
import source wasm from 'wasm-session/wasm';
import { initWasm } from 'wasm-session';

await initWasm(wasm);
await import('./web-serve.mjs');
