/**
 * The sealed-cookie format over pluggable primitives: the `js` (@noble) and
 * `node` (node:crypto) backends differ only in who does AES, HMAC and HKDF.
 */
import { TokenTooLargeError } from '../errors.js';
import {
  IV_LEN, OVERHEAD, SESSION_ID_BYTES, TAG_LEN, TOKEN_MAX, TS_LEN, VALUE_MAX, VERSION,
  checkIssuedAt, codecOptions, decodeBase64Url, encodeBase64Url, readU64BE, tokenLength, writeU64BE,
} from './format.js';
import { SEAL_WITH_IV } from './internal.js';
import type { BackendName, Codec, CodecOptions, OpenOptions, OpenResult, OpenTextResult } from './types.js';

/** One secret's derived keys, ready to use. */
export interface KeyOps {
  readonly kid: number;
  /** AES-256-CFB128 with encKey; output has the input's length. */
  encrypt(iv: Uint8Array, data: Uint8Array): Uint8Array;
  decrypt(iv: Uint8Array, data: Uint8Array): Uint8Array;
  /** HMAC-SHA256 with macKey. */
  mac(data: Uint8Array): Uint8Array;
  /** Overwrites the key material this object holds. */
  wipe(): void;
}

export interface Primitives {
  readonly backend: BackendName;
  deriveKey(secret: string, cookieName: string): KeyOps;
  fillRandom(buf: Uint8Array): void;
  /** Constant-time equality of two 32-byte tags. */
  tagEquals(a: Uint8Array, b: Uint8Array): boolean;
  encodeBase64Url?(bytes: Uint8Array): string;
}

const RANDOM_POOL = 4096;
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

export class SoftCodec implements Codec {
  readonly backend: BackendName;
  readonly name: string;
  readonly #p: Primitives;
  readonly #keys: KeyOps[];
  readonly #skew: number;
  readonly #encode: (bytes: Uint8Array) => string;
  // Randomness is drawn in blocks: one syscall/RNG call per 256 IVs or IDs.
  readonly #pool = new Uint8Array(RANDOM_POOL);
  #poolPos = RANDOM_POOL;

  constructor(primitives: Primitives, options: CodecOptions) {
    const { secrets, name, skewMs } = codecOptions(options);
    this.backend = primitives.backend;
    this.name = name;
    this.#p = primitives;
    this.#keys = secrets.map((s) => primitives.deriveKey(s, name));
    this.#skew = skewMs;
    this.#encode = primitives.encodeBase64Url ?? encodeBase64Url;
  }

  seal(value: Uint8Array | string, issuedAt: number = Date.now()): string {
    return this.#seal(value, issuedAt, this.#random(IV_LEN));
  }

  [SEAL_WITH_IV](value: Uint8Array | string, issuedAt: number, iv: Uint8Array): string {
    return this.#seal(value, issuedAt, iv);
  }

  #seal(value: Uint8Array | string, issuedAt: number, iv: Uint8Array): string {
    checkIssuedAt(issuedAt);
    const bytes = typeof value === 'string' ? utf8Encoder.encode(value) : value;
    if (bytes.length > VALUE_MAX) {
      throw new TokenTooLargeError(`a ${bytes.length}-byte value seals to ${tokenLength(bytes.length)} characters; the limit is ${TOKEN_MAX}`);
    }
    const key = this.#keys[0] as KeyOps;
    const plain = new Uint8Array(TS_LEN + bytes.length);
    writeU64BE(plain, 0, issuedAt);
    plain.set(bytes, TS_LEN);
    const raw = new Uint8Array(OVERHEAD + bytes.length);
    raw[0] = VERSION;
    raw[1] = key.kid;
    raw.set(iv, 2);
    raw.set(key.encrypt(iv, plain), 2 + IV_LEN);
    const macEnd = raw.length - TAG_LEN;
    raw.set(key.mac(raw.subarray(0, macEnd)), macEnd);
    return this.#encode(raw);
  }

  open(token: string, options?: OpenOptions): OpenResult {
    if (typeof token !== 'string' || token.length > TOKEN_MAX) return { ok: false, reason: 'malformed' };
    const raw = decodeBase64Url(token);
    if (raw === null || raw.length < OVERHEAD) return { ok: false, reason: 'malformed' };
    if (raw[0] !== VERSION) return { ok: false, reason: 'unsupported-version' };
    const kid = raw[1];
    const macEnd = raw.length - TAG_LEN;
    const signed = raw.subarray(0, macEnd);
    const tag = raw.subarray(macEnd);
    let known = false;
    for (let i = 0; i < this.#keys.length; i++) {
      const key = this.#keys[i] as KeyOps;
      if (key.kid !== kid) continue;
      known = true;
      // Tag first: nothing is decrypted unless it is authentic.
      if (!this.#p.tagEquals(key.mac(signed), tag)) continue;
      const plain = key.decrypt(raw.subarray(2, 2 + IV_LEN), raw.subarray(2 + IV_LEN, macEnd));
      const issuedAt = readU64BE(plain, 0);
      const now = options?.now ?? Date.now();
      if (issuedAt > now + this.#skew) return { ok: false, reason: 'future' };
      const maxAge = options?.maxAge;
      if (maxAge !== undefined && maxAge >= 0 && now - issuedAt >= maxAge * 1000) return { ok: false, reason: 'expired' };
      return { ok: true, value: plain.subarray(TS_LEN), issuedAt, keyIndex: i };
    }
    return { ok: false, reason: known ? 'bad-tag' : 'unknown-key' };
  }

  openText(token: string, options?: OpenOptions): OpenTextResult {
    const r = this.open(token, options);
    return r.ok ? { ok: true, value: utf8Decoder.decode(r.value), issuedAt: r.issuedAt, keyIndex: r.keyIndex } : r;
  }

  newSessionId(): string {
    return this.#encode(this.#random(SESSION_ID_BYTES));
  }

  dispose(): void {
    for (const key of this.#keys) key.wipe();
    this.#keys.length = 0;
    this.#pool.fill(0);
  }

  #random(n: number): Uint8Array {
    if (this.#poolPos + n > RANDOM_POOL) {
      this.#p.fillRandom(this.#pool);
      this.#poolPos = 0;
    }
    const out = this.#pool.slice(this.#poolPos, this.#poolPos + n);
    // Zero what was handed out, so the pool never holds a used IV or ID.
    this.#pool.fill(0, this.#poolPos, this.#poolPos + n);
    this.#poolPos += n;
    return out;
  }
}
