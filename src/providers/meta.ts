/**
 * The record metadata of the user/renewal capabilities, as the bundled
 * providers store it: one compact JSON object beside the Value's keys.
 */
import { CorruptRecordError, SessionMovedError, SessionNotFoundError, type SessionError } from '../errors.js';
import type { SessionMeta } from './provider.js';
import { parseBounded } from './record.js';

interface MetaJson {
  u?: string;
  l?: string;
  c?: number;
  i?: number;
  a?: number;
  r?: string;
}

export function encodeMeta(meta: SessionMeta): string {
  const out: MetaJson = {};
  if (meta.userId !== undefined) out.u = meta.userId;
  if (meta.label !== undefined) out.l = meta.label;
  if (meta.loginAt !== undefined) out.c = meta.loginAt;
  if (meta.idAt !== undefined) out.i = meta.idAt;
  if (meta.authAt !== undefined) out.a = meta.authAt;
  if (meta.series !== undefined) out.r = meta.series;
  return JSON.stringify(out);
}

export function decodeMeta(json: string): SessionMeta {
  // Flat by design: anything nested deeper was not written here.
  const m = parseBounded(json, 'session metadata', 4);
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw new CorruptRecordError('session metadata is not a JSON object');
  const j = m as MetaJson;
  const out: { -readonly [K in keyof SessionMeta]: SessionMeta[K] } = {};
  if (typeof j.u === 'string') out.userId = j.u;
  if (typeof j.l === 'string') out.label = j.l;
  if (typeof j.c === 'number') out.loginAt = j.c;
  if (typeof j.i === 'number') out.idAt = j.i;
  if (typeof j.a === 'number') out.authAt = j.a;
  if (typeof j.r === 'string') out.series = j.r;
  return out;
}

/** An index entry (per user, per session): hint, login time, label. */
export interface IndexEntry {
  readonly sidHint: string;
  readonly loginAt: number;
  readonly label: string | null;
}

export function encodeEntry(e: IndexEntry): string {
  return JSON.stringify({ h: e.sidHint, c: e.loginAt, l: e.label });
}

export function decodeEntry(json: string): IndexEntry | null {
  try {
    const j = parseBounded(json, 'index entry', 4) as { h?: unknown; c?: unknown; l?: unknown } | null;
    if (j === null || typeof j !== 'object') return null;
    if (typeof j.h !== 'string' || typeof j.c !== 'number') return null;
    return { sidHint: j.h, loginAt: j.c, label: typeof j.l === 'string' ? j.l : null };
  } catch {
    return null;
  }
}

/** A short, log-safe prefix of a session ID (as the manager's events carry). */
export function hintOf(sid: string): string {
  return sid.slice(0, 4) + '…';
}

/**
 * What a won `login` leaves on the old ID: the alias the manager gave, behind
 * this mark. Unlike a renewal alias it is never followed by a restore or a
 * save (that would hand a pre-login ID's holder the logged-in session); only
 * a concurrent login by the same user joins it.
 */
export const CLAIM_MARK = '!';

export function isClaim(alias: string): boolean {
  return alias.startsWith(CLAIM_MARK);
}

/**
 * Why a move lost, as the loser's caller needs it: a login claim of the same
 * user is joined (`SessionMovedError` with the claim's alias), anything else
 * (a renewal alias, another user's login, a refresh) finds the old ID gone.
 */
export function lost(alias: string, claimMeta: SessionMeta | null, meta: SessionMeta | null): SessionError {
  if (isClaim(alias) && alias.length > CLAIM_MARK.length && meta?.userId !== undefined && claimMeta?.userId === meta.userId) {
    return new SessionMovedError(alias.slice(CLAIM_MARK.length));
  }
  return new SessionNotFoundError();
}
