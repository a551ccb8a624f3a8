/** Shared by the crypto tests: every backend, and a codec factory per backend. */
import { existsSync } from 'node:fs';
import { createCodec, nativeAvailable } from '../../src/crypto/index.js';
import { SEAL_WITH_IV, type SealWithIv } from '../../src/crypto/internal.js';
import type { BackendName, Codec, CodecOptions } from '../../src/crypto/types.js';

export const BACKENDS: readonly BackendName[] = ['native', 'wasm', 'js', 'node'];

const WASM_FILE = new URL('../../wasm/wasm_session_core.wasm', import.meta.url);

export function codec(backend: BackendName, options: Omit<CodecOptions, 'backend'>): Codec & SealWithIv {
  if (backend === 'wasm' && !existsSync(WASM_FILE)) {
    throw new Error('wasm/wasm_session_core.wasm is missing: run `npm run build:wasm` (needs apt-get install -y rustc cargo libstd-rust-dev-wasm32)');
  }
  if (backend === 'native' && !nativeAvailable()) {
    throw new Error('the native addon does not load: run `npm run build:native` (needs cargo from rustup, a C compiler and Node headers; see README)');
  }
  return createCodec({ ...options, backend }) as Codec & SealWithIv;
}

export { SEAL_WITH_IV };

export const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
