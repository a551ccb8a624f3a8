/** The `node` backend: node:crypto (OpenSSL), the native reference. */
import { BackendUnavailableError } from '../errors.js';
import { HKDF_SALT } from './format.js';
import { SoftCodec, type KeyOps, type Primitives } from './soft-codec.js';
import type { CodecOptions } from './types.js';

type NodeCrypto = typeof import('node:crypto');

let primitives: Primitives | undefined;

/**
 * node:crypto is looked up when this backend is first asked for, not
 * imported: the package must load in runtimes that have no Node built-ins.
 */
function nodePrimitives(): Primitives {
  if (primitives) return primitives;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const c = proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
  if (!c) throw new BackendUnavailableError('the node backend needs node:crypto (Node.js 20.16 or later)');
  const { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomFillSync, timingSafeEqual } = c;

  const deriveKey = (secret: string, cookieName: string): KeyOps => {
    const encKey = Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, 'enc ' + cookieName, 32));
    const macKey = Buffer.from(hkdfSync('sha256', secret, HKDF_SALT, 'mac ' + cookieName, 32));
    const kid = createHmac('sha256', macKey).update('kid').digest()[0] as number;
    return {
      kid,
      encrypt: (iv, data) => createCipheriv('aes-256-cfb', encKey, iv).update(data),
      decrypt: (iv, data) => createDecipheriv('aes-256-cfb', encKey, iv).update(data),
      mac: (data) => createHmac('sha256', macKey).update(data).digest(),
      wipe() {
        encKey.fill(0);
        macKey.fill(0);
      },
    };
  };

  primitives = {
    backend: 'node',
    deriveKey,
    fillRandom: (buf) => void randomFillSync(buf),
    tagEquals: (a, b) => a.length === b.length && timingSafeEqual(a, b),
    encodeBase64Url: (bytes) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('base64url'),
  };
  return primitives;
}

export function createNodeCodec(options: CodecOptions): SoftCodec {
  return new SoftCodec(nodePrimitives(), options);
}
