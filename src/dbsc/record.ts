/**
 * The binding as it lives on the session record: one value field, so every
 * provider keeps it with the session's data (memory, Redis, memcached, and
 * CookieProvider inside its sealed cookie) and it goes where the session goes
 * (renewal, `session.refresh`, login keeps the data).
 * @module
 */
import type { Value } from '../manager/value.js';
import { DBSC_ALGORITHMS, publicJwk, type DbscAlgorithm, type PublicJwk } from './jws.js';

/** The value key of the bound session's identifier: all the per-request check reads (a short string: cheap to decode). */
export const ID_KEY = '__dbsc';
/** The value key the binding's record is kept under (key, challenges): read at the two endpoints only. */
export const RECORD_KEY = '__dbsc_rec';

export interface BindingRecord {
  /** Nonce of the registration challenge offered and not yet used. */
  readonly reg?: string;
  /** The DBSC session identifier (random; what `Sec-Secure-Session-Id` carries and bound cookies name). */
  readonly id?: string;
  readonly alg?: DbscAlgorithm;
  readonly jwk?: PublicJwk;
  /** RFC 7638 thumbprint of `jwk`. */
  readonly kid?: string;
  /** Registered at (ms since epoch). */
  readonly at?: number;
  /** Nonces of the refresh challenges outstanding: the current one first, then the one before. */
  readonly ch?: readonly string[];
}

/** A bound record: a key is registered. */
export interface BoundRecord extends BindingRecord {
  readonly id: string;
  readonly alg: DbscAlgorithm;
  readonly jwk: PublicJwk;
  readonly kid: string;
  readonly at: number;
  readonly ch: readonly string[];
}

/** Loosely typed access: the app's SessionData does not declare this key. */
type AnyValue = Pick<Value, 'get' | 'set' | 'del'>;

/**
 * The record's binding; `null` when the session has none. A field that does
 * not parse is `'corrupt'`: the session is treated as bound without a usable
 * key (never as unbound-and-free), so tampering with it cannot unbind.
 */
export function readRecord(value: AnyValue): BindingRecord | 'corrupt' | null {
  const raw = value.get(RECORD_KEY);
  if (raw === undefined || raw === null) return value.get(ID_KEY) === undefined ? null : 'corrupt';
  if (typeof raw !== 'object' || Array.isArray(raw)) return 'corrupt';
  const r = raw as Record<string, unknown>;
  const out: { -readonly [K in keyof BindingRecord]: BindingRecord[K] } = {};
  if (r.reg !== undefined) {
    if (typeof r.reg !== 'string') return 'corrupt';
    out.reg = r.reg;
  }
  if (r.id !== undefined) {
    if (typeof r.id !== 'string' || typeof r.alg !== 'string' || !DBSC_ALGORITHMS.includes(r.alg as DbscAlgorithm)) return 'corrupt';
    const alg = r.alg as DbscAlgorithm;
    const jwk = publicJwk(r.jwk, alg);
    if (jwk === null || typeof r.kid !== 'string' || typeof r.at !== 'number') return 'corrupt';
    const ch = Array.isArray(r.ch) ? r.ch.filter((c): c is string => typeof c === 'string') : [];
    if (value.get(ID_KEY) !== r.id) return 'corrupt';
    Object.assign(out, { id: r.id, alg, jwk, kid: r.kid, at: r.at, ch });
  } else if (value.get(ID_KEY) !== undefined) return 'corrupt';
  return out;
}

export function isBound(r: BindingRecord | 'corrupt' | null): r is BoundRecord {
  return r !== null && r !== 'corrupt' && r.id !== undefined;
}

export function writeRecord(value: AnyValue, record: BindingRecord): void {
  (value as Pick<Value, 'set'>).set(RECORD_KEY, record as unknown as never);
  if (record.id === undefined) (value as Pick<Value, 'del'>).del(ID_KEY);
  else (value as Pick<Value, 'set'>).set(ID_KEY, record.id as never);
}
