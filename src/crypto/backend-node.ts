/** The `node` backend: node:crypto (OpenSSL), the native reference. */
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomFillSync, timingSafeEqual } from 'node:crypto';
import { HKDF_SALT } from './format.js';
import { SoftCodec, type KeyOps, type Primitives } from './soft-codec.js';
import type { CodecOptions } from './types.js';

function deriveKey(secret: string, cookieName: string): KeyOps {
  const encKey = Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, 'enc ' + cookieName, 32));
  const macKey = Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, 'mac ' + cookieName, 32));
  const kid = createHmac('sha256', macKey).update('kid').digest()[0] as number;
  return {
    kid,
    encrypt(iv, data) {
      return createCipheriv('aes-256-cfb', encKey, iv).update(data);
    },
    decrypt(iv, data) {
      return createDecipheriv('aes-256-cfb', encKey, iv).update(data);
    },
    mac(data) {
      return createHmac('sha256', macKey).update(data).digest();
    },
    wipe() {
      encKey.fill(0);
      macKey.fill(0);
    },
  };
}

export const nodePrimitives: Primitives = {
  backend: 'node',
  deriveKey,
  fillRandom: (buf) => void randomFillSync(buf),
  tagEquals: (a, b) => a.length === b.length && timingSafeEqual(a, b),
  encodeBase64Url: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url'),
};

export function createNodeCodec(options: CodecOptions): SoftCodec {
  return new SoftCodec(nodePrimitives, options);
}
