/** The `js` backend: pure TypeScript over @noble (runs where WebAssembly is not allowed). */
import { cfb } from '@noble/ciphers/aes.js';
import { equalBytes } from '@noble/ciphers/utils.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { HKDF_SALT } from './format.js';
import { SoftCodec, type KeyOps, type Primitives } from './soft-codec.js';
import type { CodecOptions } from './types.js';

const utf8 = new TextEncoder();
const SALT = utf8.encode(HKDF_SALT);

function deriveKey(secret: string, cookieName: string): KeyOps {
  const ikm = utf8.encode(secret);
  const encKey = hkdf(sha256, ikm, SALT, utf8.encode('enc ' + cookieName), 32);
  const macKey = hkdf(sha256, ikm, SALT, utf8.encode('mac ' + cookieName), 32);
  ikm.fill(0);
  // Keyed once; each MAC clones the keyed state instead of rehashing the key.
  const keyed = hmac.create(sha256, macKey);
  const kid = keyed.clone().update(utf8.encode('kid')).digest()[0] as number;
  return {
    kid,
    encrypt: (iv, data) => cfb(encKey, iv).encrypt(data),
    decrypt: (iv, data) => cfb(encKey, iv).decrypt(data),
    mac: (data) => keyed.clone().update(data).digest(),
    wipe() {
      encKey.fill(0);
      macKey.fill(0);
      keyed.destroy();
    },
  };
}

export const jsPrimitives: Primitives = {
  backend: 'js',
  deriveKey,
  fillRandom: (buf) => void globalThis.crypto.getRandomValues(buf),
  tagEquals: equalBytes,
};

export function createJsCodec(options: CodecOptions): SoftCodec {
  return new SoftCodec(jsPrimitives, options);
}
