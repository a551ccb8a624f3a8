/**
 * The value-cookie chunk format of `CookieProvider`: what goes inside each
 * sealed chunk, so that a chunk opens only at its position, in its seal, for
 * its session.
 *
 *   plaintext = 0x01 ‖ index (u8) ‖ count (u8) ‖ sealId (8 bytes) ‖ sid (22 ASCII) ‖ data
 *
 * `data` is the chunk's slice of the session's JSON record (UTF-8 bytes,
 * split on byte boundaries). `sealId` is random per seal, shared by all its
 * chunks: chunks of two seals of one session never combine. The token around
 * it is format v1 (codec), whose `issuedAt` is the session's creation time.
 */
import { OVERHEAD, TOKEN_MAX } from '../../crypto/format.js';

export const CHUNK_VERSION = 0x01;
export const SEAL_ID_LEN = 8;
export const SID_LEN = 22;
/** Bytes of chunk header before the data. */
export const CHUNK_HEADER = 3 + SEAL_ID_LEN + SID_LEN;
/** Browsers keep a cookie of at most 4096 bytes; counted here for the whole Set-Cookie line. */
export const LINE_MAX = TOKEN_MAX;

/** The cookie name of chunk `index`: `<name>`, `<name>.1`, `<name>.2`, … */
export function chunkName(name: string, index: number): string {
  return index === 0 ? name : `${name}.${index}`;
}

/**
 * How many data bytes chunk `index` can carry so that its whole Set-Cookie
 * line (`name=token` plus attributes) stays within {@link LINE_MAX}.
 */
export function chunkCapacity(name: string, index: number, attributesLength: number): number {
  const budget = LINE_MAX - (chunkName(name, index).length + 1) - attributesLength;
  // base64url without padding: L bytes → ceil(4L/3) characters.
  return Math.floor((budget * 3) / 4) - OVERHEAD - CHUNK_HEADER;
}

/** Builds chunk `index` of `count`: header + `data`. */
export function encodeChunk(index: number, count: number, sealId: Uint8Array, sid: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(CHUNK_HEADER + data.length);
  out[0] = CHUNK_VERSION;
  out[1] = index;
  out[2] = count;
  out.set(sealId, 3);
  for (let i = 0; i < SID_LEN; i++) out[3 + SEAL_ID_LEN + i] = sid.charCodeAt(i);
  out.set(data, CHUNK_HEADER);
  return out;
}

/**
 * Checks a chunk's binding: version, position `index`, the session `sid`,
 * and (for chunks after the first) the first chunk's count and sealId.
 * Returns the chunk's count, or -1 when it does not belong here.
 */
export function checkChunk(plain: Uint8Array, index: number, sid: string, first: Uint8Array | null, maxChunks: number): number {
  if (plain.length < CHUNK_HEADER || plain[0] !== CHUNK_VERSION || plain[1] !== index) return -1;
  const count = plain[2] as number;
  if (count < 1 || count > maxChunks || index >= count) return -1;
  for (let i = 0; i < SID_LEN; i++) if (plain[3 + SEAL_ID_LEN + i] !== sid.charCodeAt(i)) return -1;
  if (first !== null) {
    if (first[2] !== count) return -1;
    for (let i = 3; i < 3 + SEAL_ID_LEN; i++) if (plain[i] !== first[i]) return -1;
  }
  return count;
}

const POOL_SEALS = 256;
const pool = new Uint8Array(POOL_SEALS * SEAL_ID_LEN);
let poolAt = pool.length;

/** A fresh random sealId (from a refilled pool: one CSPRNG call per 256 seals). Web Crypto: every runtime has it. */
export function newSealId(): Uint8Array {
  if (poolAt >= pool.length) {
    globalThis.crypto.getRandomValues(pool);
    poolAt = 0;
  }
  const id = pool.slice(poolAt, poolAt + SEAL_ID_LEN);
  poolAt += SEAL_ID_LEN;
  return id;
}
