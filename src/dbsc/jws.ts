/**
 * DBSC proofs: compact JWS (RFC 7515) verified with node:crypto. Only the two
 * algorithms the spec names with a key (ES256, RS256); `none` is never
 * accepted. ES256 signatures in JWS are raw r‖s (64 bytes), hence
 * `dsaEncoding: 'ieee-p1363'`.
 * @module
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';

export type DbscAlgorithm = 'ES256' | 'RS256';
export const DBSC_ALGORITHMS: readonly DbscAlgorithm[] = ['ES256', 'RS256'];

/** A public key as stored on the session record: only the members RFC 7638 hashes. */
export type PublicJwk = { kty: 'EC'; crv: 'P-256'; x: string; y: string } | { kty: 'RSA'; n: string; e: string };

export interface ParsedJws {
  readonly header: Readonly<Record<string, unknown>>;
  readonly payload: Readonly<Record<string, unknown>>;
  readonly signingInput: string;
  readonly signature: Buffer;
}

/** Proofs are a few hundred bytes (an RSA-4096 key in the header stays well under this). */
const MAX_JWS = 8192;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** A compact JWS split and decoded, or `null` when it is not one (never throws). */
export function parseJws(token: string): ParsedJws | null {
  if (token.length > MAX_JWS) return null;
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  if (!B64URL.test(h) || !B64URL.test(p) || !B64URL.test(s)) return null;
  const header = jsonObject(h);
  const payload = jsonObject(p);
  if (header === null || payload === null) return null;
  return { header, payload, signingInput: `${h}.${p}`, signature: Buffer.from(s, 'base64url') };
}

function jsonObject(part: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const B64URL_256 = /^[A-Za-z0-9_-]{43}$/;

/** The public JWK of `alg` in `jwk`, reduced to its required members; `null` for anything else (a private key too). */
export function publicJwk(jwk: unknown, alg: DbscAlgorithm): PublicJwk | null {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return null;
  const k = jwk as Record<string, unknown>;
  if ('d' in k || 'p' in k) return null; // a private key has no business here
  if (alg === 'ES256') {
    if (k.kty !== 'EC' || k.crv !== 'P-256' || typeof k.x !== 'string' || typeof k.y !== 'string') return null;
    if (!B64URL_256.test(k.x) || !B64URL_256.test(k.y)) return null;
    return { kty: 'EC', crv: 'P-256', x: k.x, y: k.y };
  }
  if (k.kty !== 'RSA' || typeof k.n !== 'string' || typeof k.e !== 'string') return null;
  if (!B64URL.test(k.n) || !B64URL.test(k.e) || k.e.length > 8) return null;
  // At least 2048-bit moduli (342 base64url characters), at most 8192.
  if (k.n.length < 342 || k.n.length > 1366) return null;
  return { kty: 'RSA', n: k.n, e: k.e };
}

/** node:crypto's key for a stored JWK, or `null` when it does not import (not a point on the curve, ...). */
export function importKey(jwk: PublicJwk): KeyObject | null {
  try {
    return createPublicKey({ key: jwk, format: 'jwk' });
  } catch {
    return null;
  }
}

/** Verifies `jws`'s signature under `alg` with `key`. Never throws. */
export function verifySignature(jws: ParsedJws, alg: DbscAlgorithm, key: KeyObject): boolean {
  try {
    if (alg === 'ES256') {
      if (jws.signature.length !== 64) return false;
      return verify('sha256', Buffer.from(jws.signingInput), { key, dsaEncoding: 'ieee-p1363' }, jws.signature);
    }
    return verify('sha256', Buffer.from(jws.signingInput), key, jws.signature);
  } catch {
    return false;
  }
}

/** The RFC 7638 thumbprint (SHA-256, base64url) of a public JWK: members in lexicographic order, no spaces. */
export function thumbprint(jwk: PublicJwk): string {
  const canonical = jwk.kty === 'EC' ? `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}` : `{"e":"${jwk.e}","kty":"RSA","n":"${jwk.n}"}`;
  return createHash('sha256').update(canonical).digest('base64url');
}
