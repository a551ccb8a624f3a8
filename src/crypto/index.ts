/**
 * The crypto core: seal/open of cookie tokens (format v1) and session IDs,
 * on one of three interchangeable backends.
 */
import { InvalidConfigError } from '../errors.js';
import { createJsCodec } from './backend-js.js';
import { createNodeCodec } from './backend-node.js';
import { createWasmCodec, wasmAvailable } from './backend-wasm.js';
import type { BackendChoice, BackendName, Codec, CodecOptions } from './types.js';

export type * from './types.js';
export { initWasm, wasmAvailable } from './backend-wasm.js';
export { TOKEN_MAX, VALUE_MAX, MIN_SECRET_LENGTH, tokenLength } from './format.js';

/** What `auto` picks here: `wasm` where WebAssembly instantiates, else `js`. */
export function resolveBackend(choice: BackendChoice = 'auto'): BackendName {
  if (choice === 'auto') return wasmAvailable() ? 'wasm' : 'js';
  if (choice === 'wasm' || choice === 'js' || choice === 'node') return choice;
  throw new InvalidConfigError(`unknown backend ${JSON.stringify(choice)}: use auto, wasm, js or node`);
}

/**
 * A codec for one cookie name. Throws `EmptySecretError`/`WeakSecretError`
 * for missing or short secrets, `BackendUnavailableError` when the requested
 * backend cannot run here (`auto` never does).
 */
export function createCodec(options: CodecOptions): Codec {
  switch (resolveBackend(options.backend)) {
    case 'wasm':
      return createWasmCodec(options);
    case 'node':
      return createNodeCodec(options);
    default:
      return createJsCodec(options);
  }
}
