/**
 * The crypto core: seal/open of cookie tokens (format v1) and session IDs,
 * on one of four interchangeable backends.
 */
import { InvalidConfigError } from '../errors.js';
import { createJsCodec } from './backend-js.js';
import { createNativeCodec, nativeAvailable } from './backend-native.js';
import { createNodeCodec } from './backend-node.js';
import { createWasmCodec, wasmAvailable } from './backend-wasm.js';
import type { BackendChoice, BackendName, Codec, CodecOptions } from './types.js';

export type * from './types.js';
export { initWasm, wasmAvailable } from './backend-wasm.js';
export { nativeAvailable } from './backend-native.js';
export { TOKEN_MAX, VALUE_MAX, MIN_SECRET_LENGTH, tokenLength } from './format.js';

/**
 * What `auto` picks here: `native` where the addon loads (linux-x64/arm64 glibc
 * prebuild, or a from-source build), else `wasm` where WebAssembly
 * instantiates, else `js`. The fastest available at every value size
 * (bench/results/).
 */
export function resolveBackend(choice: BackendChoice = 'auto'): BackendName {
  if (choice === 'auto') return nativeAvailable() ? 'native' : wasmAvailable() ? 'wasm' : 'js';
  if (choice === 'native' || choice === 'wasm' || choice === 'js' || choice === 'node') return choice;
  throw new InvalidConfigError(`unknown backend ${JSON.stringify(choice)}: use auto, native, wasm, js or node`);
}

/**
 * A codec for one cookie name. Throws `EmptySecretError`/`WeakSecretError`
 * for missing or short secrets, `BackendUnavailableError` when the requested
 * backend cannot run here (`auto` never does).
 */
export function createCodec(options: CodecOptions): Codec {
  switch (resolveBackend(options.backend)) {
    case 'native':
      return createNativeCodec(options);
    case 'wasm':
      return createWasmCodec(options);
    case 'node':
      return createNodeCodec(options);
    default:
      return createJsCodec(options);
  }
}
