/**
 * Sealed cookie format v1, shared by the `js` and `node` backends (the `wasm`
 * backend implements the same in crate/). See README "Sealed format".
 *
 *   token     = base64url_nopad( 0x01 ‖ kid ‖ iv(16) ‖ ct ‖ tag(32) )
 *   plaintext = issuedAt (u64 BE, ms) ‖ value
 *   ct        = AES-256-CFB128(encKey, iv, plaintext)
 *   tag       = HMAC-SHA256(macKey, 0x01 ‖ kid ‖ iv ‖ ct)
 */
import { EmptySecretError, InvalidConfigError, WeakSecretError } from '../errors.js';

export const VERSION = 0x01;
export const IV_LEN = 16;
export const TAG_LEN = 32;
export const TS_LEN = 8;
/** version + kid + iv + issuedAt + tag: the raw size of a token with an empty value. */
export const OVERHEAD = 2 + IV_LEN + TS_LEN + TAG_LEN;
/** Browsers drop cookies past ~4096 bytes, silently: refuse to make or read longer tokens. */
export const TOKEN_MAX = 4096;
export const MIN_SECRET_LENGTH = 32;
export const HKDF_SALT = 'wasm-session/v1';
export const DEFAULT_CLOCK_SKEW_MS = 60_000;
export const SESSION_ID_BYTES = 16;
export const SESSION_ID_LENGTH = 22;

/** Token length in characters for a value of `valueLen` bytes. */
export function tokenLength(valueLen: number): number {
  return Math.ceil(((OVERHEAD + valueLen) * 4) / 3);
}

/** The largest value (bytes) whose token fits in TOKEN_MAX characters. */
export const VALUE_MAX = Math.floor((TOKEN_MAX * 3) / 4) - OVERHEAD;

/**
 * Validates and normalizes the secret list: the first seals, all open. One
 * rule for the codec and the Session config alike: missing, an empty list or
 * an empty string → `EmptySecretError`; not a string → `InvalidConfigError`;
 * shorter than 32 characters, or one character repeated (a placeholder such
 * as 32 spaces) → `WeakSecretError`. Messages name the position, never the secret.
 */
export function normalizeSecrets(secrets: unknown, label = 'secret'): string[] {
  if (secrets === undefined || secrets === null || secrets === '') throw new EmptySecretError(`${label} is required`);
  const list: unknown[] = typeof secrets === 'string' ? [secrets] : Array.isArray(secrets) ? [...(secrets as unknown[])] : [secrets];
  if (list.length === 0) throw new EmptySecretError(`${label} is an empty list`);
  list.forEach((s, i) => {
    if (typeof s !== 'string') throw new InvalidConfigError(`${label}[${i}] must be a string`);
    if (s.length === 0) throw new EmptySecretError(`${label}[${i}] is empty`);
    if (s.length < MIN_SECRET_LENGTH) throw new WeakSecretError(`${label}[${i}] is shorter than ${MIN_SECRET_LENGTH} characters`);
    if (repeatsOneCharacter(s)) {
      throw new WeakSecretError(`${label}[${i}] is one character repeated (a placeholder?); generate one with \`openssl rand -base64 32\``);
    }
  });
  return list as string[];
}

function repeatsOneCharacter(s: string): boolean {
  for (let i = 1; i < s.length; i++) if (s.charCodeAt(i) !== s.charCodeAt(0)) return false;
  return true;
}

export function checkIssuedAt(issuedAt: number): void {
  if (!Number.isSafeInteger(issuedAt) || issuedAt < 0) {
    throw new InvalidConfigError('issuedAt must be a non-negative integer (ms since epoch)');
  }
}

/** The options every backend's codec checks the same way: secrets, cookie name, clock-skew allowance. */
export function codecOptions(options: { secrets: unknown; name: string; clockSkewMs?: number | undefined }): { secrets: string[]; name: string; skewMs: number } {
  const secrets = normalizeSecrets(options.secrets);
  checkCookieName(options.name);
  return { secrets, name: options.name, skewMs: options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS };
}

export function checkCookieName(name: string): void {
  if (typeof name !== 'string' || name.length === 0) throw new InvalidConfigError('cookie name must be a non-empty string');
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/**
 * Strict base64url (no padding) decode: only the url-safe alphabet, no `=`,
 * no impossible length, and the unused low bits of the last character zero,
 * so each byte string has exactly one token (a flipped spare bit can't open).
 * Returns null on any deviation.
 */
export function decodeBase64Url(s: string): Uint8Array | null {
  const n = s.length;
  const rem = n & 3;
  if (rem === 1) return null;
  const out = new Uint8Array((n * 3) >> 2);
  let o = 0;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const a = sextet(s, i), b = sextet(s, i + 1), c = sextet(s, i + 2), d = sextet(s, i + 3);
    if ((a | b | c | d) < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  if (rem === 2) {
    const a = sextet(s, i), b = sextet(s, i + 1);
    if ((a | b) < 0 || (b & 0x0f) !== 0) return null;
    out[o++] = (a << 2) | (b >> 4);
  } else if (rem === 3) {
    const a = sextet(s, i), b = sextet(s, i + 1), c = sextet(s, i + 2);
    if ((a | b | c) < 0 || (c & 0x03) !== 0) return null;
    out[o++] = (a << 2) | (b >> 4);
    out[o++] = ((b & 0x0f) << 4) | (c >> 2);
  }
  return out;
}

function sextet(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? (DECODE[c] as number) : -1;
}

/** base64url without padding. */
export function encodeBase64Url(bytes: Uint8Array): string {
  let out = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const v = ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
    out += ALPHABET[v >> 18]! + ALPHABET[(v >> 12) & 63]! + ALPHABET[(v >> 6) & 63]! + ALPHABET[v & 63]!;
  }
  if (n - i === 1) {
    const v = bytes[i] as number;
    out += ALPHABET[v >> 2]! + ALPHABET[(v & 3) << 4]!;
  } else if (n - i === 2) {
    const v = ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
    out += ALPHABET[v >> 10]! + ALPHABET[(v >> 4) & 63]! + ALPHABET[(v & 15) << 2]!;
  }
  return out;
}

export function writeU64BE(buf: Uint8Array, offset: number, n: number): void {
  const hi = Math.floor(n / 0x1_0000_0000);
  const lo = n >>> 0;
  buf[offset] = hi >>> 24;
  buf[offset + 1] = (hi >>> 16) & 0xff;
  buf[offset + 2] = (hi >>> 8) & 0xff;
  buf[offset + 3] = hi & 0xff;
  buf[offset + 4] = lo >>> 24;
  buf[offset + 5] = (lo >>> 16) & 0xff;
  buf[offset + 6] = (lo >>> 8) & 0xff;
  buf[offset + 7] = lo & 0xff;
}

export function readU64BE(buf: Uint8Array, offset: number): number {
  const hi = (((buf[offset] as number) << 24) | ((buf[offset + 1] as number) << 16) | ((buf[offset + 2] as number) << 8) | (buf[offset + 3] as number)) >>> 0;
  const lo = (((buf[offset + 4] as number) << 24) | ((buf[offset + 5] as number) << 16) | ((buf[offset + 6] as number) << 8) | (buf[offset + 7] as number)) >>> 0;
  // Above 2^53 a JS number loses precision; only a sealer with the key could put it there.
  return hi * 0x1_0000_0000 + lo;
}
