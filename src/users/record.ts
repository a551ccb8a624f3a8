/**
 * The per-user record of the user features, kept through the provider's
 * `RecordStore` (compare-and-set, so app servers never lose each other's
 * writes): the user's remember-me series (only token hashes), and the
 * device details of sessions (ip, user agent, series) that listings and the
 * device limit read. One small JSON document per user, bounded in size.
 */
import { StoreUnavailableError, UnsupportedError } from '../errors.js';
import type { RecordStore } from '../providers/provider.js';
import { COOKIE_HINT } from '../manager/report.js';
import type { SessionCore } from '../manager/core.js';

/** One remember-me series (Spring's persistent-token design, with a grace window). */
export interface SeriesEntry {
  /** Hash of the current token (base64url SHA-256). */
  h: string;
  /** Hash of the previous token (rotation grace), or null. */
  p: string | null;
  /** When the token was last rotated (ms). */
  r: number;
  /** The series' current session ID, sealed with the session codec (a dump of the store gives no usable ID). */
  a: string;
  /** The current session's index ref. */
  f: string;
  /** The device label. */
  l: string | null;
  /** When the series expires (ms); 0 = never. */
  e: number;
  /** When the user last authenticated on this device (a resume is not a new authentication). */
  t: number;
  /** Revoked: why. The entry stays until it expires so its cookie gets a reason. */
  x?: 'revoked' | 'theft' | 'evicted';
}

/** What the user record knows of one session beside the index. */
export interface DeviceEntry {
  /** Admitted at (ms). */
  c: number;
  i?: string;
  u?: string;
  /** Its remember-me series. */
  r?: string;
}

export interface UserDoc {
  s: Record<string, SeriesEntry>;
  d: Record<string, DeviceEntry>;
}

/** Bounds: a user with more series or devices loses the oldest. */
const MAX_SERIES = 64;
const MAX_DEVICES = 256;
const CAS_ATTEMPTS = 16;

export function recordsOf(core: SessionCore): RecordStore {
  const records = core.provider.records;
  if (records === undefined || records === null) {
    throw new UnsupportedError(`this provider has no records (Provider.records): remember-me tokens, maxSessions and device details need one of the bundled store providers, or one that implements RecordStore${COOKIE_HINT}`);
  }
  return records;
}

export function docName(userId: string): string {
  return 'u\u0000' + userId;
}

/** How long a user's record lives: as long as a session or a remember-me cookie can (0 = no expiry). */
export function docTtl(core: SessionCore): number {
  const c = core.config;
  if (c.cookieExpire === 0 || c.rememberExpire === 0) return 0;
  return Math.max(c.cookieExpire, c.rememberExpire);
}

function parseDoc(text: string): UserDoc {
  try {
    const j = JSON.parse(text) as Partial<UserDoc> | null;
    const doc: UserDoc = { s: Object.create(null) as UserDoc['s'], d: Object.create(null) as UserDoc['d'] };
    if (j !== null && typeof j === 'object') {
      for (const [k, v] of Object.entries(j.s ?? {})) if (v !== null && typeof v === 'object' && typeof v.h === 'string') doc.s[k] = v;
      for (const [k, v] of Object.entries(j.d ?? {})) if (v !== null && typeof v === 'object' && typeof v.c === 'number') doc.d[k] = v;
    }
    return doc;
  } catch {
    // A broken record is rebuilt: its series stop resuming (the safe side), its sessions go on.
    return { s: Object.create(null) as UserDoc['s'], d: Object.create(null) as UserDoc['d'] };
  }
}

export async function readDoc(records: RecordStore, userId: string): Promise<UserDoc | null> {
  const got = await records.get(docName(userId));
  return got === null ? null : parseDoc(got.text);
}

function prune(doc: UserDoc, now: number): void {
  for (const [k, e] of Object.entries(doc.s)) if (e.e > 0 && e.e <= now) delete doc.s[k];
  const series = Object.entries(doc.s);
  if (series.length > MAX_SERIES) {
    series.sort((a, b) => a[1].r - b[1].r);
    for (const [k] of series.slice(0, series.length - MAX_SERIES)) delete doc.s[k];
  }
  const devices = Object.entries(doc.d);
  if (devices.length > MAX_DEVICES) {
    devices.sort((a, b) => a[1].c - b[1].c);
    for (const [k] of devices.slice(0, devices.length - MAX_DEVICES)) delete doc.d[k];
  }
}

/** Returned by a change: leave the record as it is. */
export const UNCHANGED = Symbol('unchanged');

/**
 * Read, change, write back only if nobody wrote in between (else again).
 * `change` may throw (nothing is written) or return {@link UNCHANGED}.
 * With `onlyIfExists`, a user without a record gets none (resolves `undefined`).
 */
export async function updateDoc<T>(core: SessionCore, userId: string, change: (doc: UserDoc, now: number) => T | typeof UNCHANGED, onlyIfExists = false): Promise<T | undefined> {
  const records = recordsOf(core);
  const name = docName(userId);
  for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
    // Another server won the race: back off a little (jittered) before reading again.
    if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 4 * attempt));
    const got = await records.get(name);
    if (got === null && onlyIfExists) return undefined;
    const doc = got === null ? parseDoc('{}') : parseDoc(got.text);
    const now = Date.now();
    const result = change(doc, now);
    if (result === UNCHANGED) return undefined;
    prune(doc, now);
    if (await records.put(name, JSON.stringify(doc), got?.version ?? null, docTtl(core))) return result;
  }
  throw new StoreUnavailableError(`the user's record kept changing (${CAS_ATTEMPTS} check-and-set attempts)`);
}

/**
 * A bound session got a new ID (refresh, re-authentication, renewal): its
 * device entry and its remember-me series follow it, so revoking by handle,
 * theft and "keep" still find it. One read when the user has no record.
 */
export async function followId(core: SessionCore, userId: string, series: string | undefined, oldRef: string, newRef: string, newSid: string): Promise<void> {
  if (core.provider.records === undefined || oldRef === newRef) return;
  await updateDoc(
    core,
    userId,
    (doc) => {
      const d = doc.d[oldRef];
      const e = series === undefined ? undefined : doc.s[series];
      const follows = e !== undefined && e.f === oldRef;
      if (d === undefined && !follows) return UNCHANGED;
      if (d !== undefined) {
        delete doc.d[oldRef];
        doc.d[newRef] = d;
      }
      if (follows) {
        e.f = newRef;
        e.a = core.codec.seal(newSid);
      }
      return true;
    },
    true,
  );
}
