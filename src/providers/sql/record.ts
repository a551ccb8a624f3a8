/**
 * What the SQL providers (PostgreSQL, SQLite) share: the table-name check,
 * the record encoding and its decoding (fields depth-bounded by ../record.ts),
 * and the RecordStore's checks around its statements (what they decide
 * alike beyond that: ./common.ts).
 *
 * A record's `data` is one JSON object: each session key maps to that key's
 * JSON text, as a JSON string (as a Redis hash keeps a field per key). So a
 * value round-trips exactly (jsonb would refuse `\u0000` and lone surrogates
 * in strings, and reorder keys), and a save merges per key with the
 * database's JSON operators (`||` / `-`, `json_patch`).
 */
import { CorruptRecordError, InvalidConfigError } from '../../errors.js';
import type { Value } from '../../manager/value.js';
import { storeKey } from '../keys.js';
import type { RecordStore, VersionedRecord } from '../provider.js';
import { valueFromFields } from '../record.js';

/** The default table name of both SQL providers. */
export const DEFAULT_TABLE = 'wasm_sessions';

/**
 * A table name is a plain identifier (letters, digits, underscore, not
 * starting with a digit), short enough for the `_revoked` / `_records` /
 * index suffixes (`_records_expires_at`: 19) within PostgreSQL's 63 bytes. It is checked here and then always written
 * double-quoted; it never reaches a statement unchecked.
 */
const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,39}$/;

/** Validates the `table` option; returns the name. */
export function checkTableName(name: unknown): string {
  if (typeof name !== 'string' || !TABLE_NAME.test(name)) {
    throw new InvalidConfigError('table must be a plain SQL identifier: letters, digits and _, not starting with a digit, at most 40 characters');
  }
  return name;
}

/** `name` as a quoted identifier (already checked: no quote can be in it). */
export function quoteIdent(name: string): string {
  return `"${name}"`;
}

/** The quoted names of `table` (checked), its tombstones' table and its records' table. */
export function tableIdents(table: string): { t: string; r: string; rec: string } {
  return { t: quoteIdent(table), r: quoteIdent(table + '_revoked'), rec: quoteIdent(table + '_records') };
}

/**
 * Decodes a record's `data` into a Value. Throws `CorruptRecordError` for
 * anything this library did not write: not JSON, not an object of strings, a
 * field that is not JSON, or a field nested deeper than `Value.set` takes
 * (`MAX_DEPTH`).
 */
export function decodeData(text: string): Value {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    throw new CorruptRecordError('session record is not JSON', { cause });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new CorruptRecordError('session record is not a JSON object');
  }
  // The record itself is one level: an object of strings (JSON.parse copes with any depth, and a
  // deeper record fails this check). Each field then goes through the shared depth-bounded decoding.
  const fields = parsed as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (typeof fields[key] !== 'string') throw new CorruptRecordError('session record field is not a JSON string');
  }
  return valueFromFields(fields as Record<string, string>);
}

/** A JSON object text of `key → json` pairs (built as text: a `__proto__` key is a key like any other). */
export function encodeFields(entries: Iterable<readonly [string, string]>): string {
  let out = '{';
  let first = true;
  for (const [key, json] of entries) {
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + JSON.stringify(json);
    first = false;
  }
  return out + '}';
}

/** A Value's whole data as a record's `data`. */
export function encodeValue(v: Value): string {
  return encodeFields(v.fieldMap());
}

/** Milliseconds to wait before the next sweep: `seconds` ± 25 % (so app servers started together spread out). */
export function jittered(seconds: number): number {
  return Math.round(seconds * 1000 * (0.75 + Math.random() * 0.5));
}

/** A SQL provider's {@link RecordStore} (the `<table>_records` table), with the row id of a record. */
export interface SqlRecordStore extends RecordStore {
  /** The row id of record `name`: the provider's prefix + hex SHA-256 of the name (tests, inspection). */
  keyFor(name: string): string;
}

/**
 * A version handed back to `put`, as the SQL providers compare it: the row's
 * counter in decimal (at most 15 digits: exact as a JS number). Anything else
 * was not handed out by `get`, so it matches no row: `null` (the put loses).
 */
function parseVersion(version: string): number | null {
  return /^[1-9][0-9]{0,14}$/.test(version) ? Number(version) : null;
}

/** A record's TTL in whole seconds (a fraction rounds up: a record never expires early); 0 = none. */
function recordTtl(ttl: number): number {
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0 || ttl > 0x7fffffff) {
    throw new InvalidConfigError(`record ttl must be a number of seconds >= 0, got ${String(ttl)}`);
  }
  return Math.ceil(ttl);
}

/** The statements behind a SQL {@link RecordStore}, on row ids (sync for SQLite, async for PostgreSQL). */
export interface SqlRecordOps {
  get(id: string): VersionedRecord | null | Promise<VersionedRecord | null>;
  /** Create-if-absent (a row past its expiry counts as absent); true when it wrote. */
  add(id: string, text: string, seconds: number): boolean | Promise<boolean>;
  /** Compare-and-set at `version`; true when it wrote. */
  set(id: string, text: string, version: number, seconds: number): boolean | Promise<boolean>;
}

/** A SQL provider's RecordStore under `prefix`: names hashed to row ids, TTL and version checked before a statement runs. */
export function sqlRecordStore(prefix: string, ops: SqlRecordOps): SqlRecordStore {
  const keyFor = (name: string): string => storeKey(prefix, name);
  return {
    keyFor,
    get: async (name) => ops.get(keyFor(name)),
    put: async (name, text, version, ttl) => {
      const id = keyFor(name);
      const seconds = recordTtl(ttl);
      if (version === null) return ops.add(id, text, seconds);
      const at = parseVersion(version);
      return at === null ? false : ops.set(id, text, at, seconds); // null: not a version `get` handed out, no row is at it
    },
  };
}
