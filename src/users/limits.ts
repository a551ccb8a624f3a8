/**
 * The device limit (`maxSessions`): at most `limit` live sessions per user.
 *
 * The decision is made inside the compare-and-set update of the user's record
 * (record.ts), which every admitted session enters before its update
 * completes: two app servers logging the same user in at once are serialized
 * there (on Redis by a Lua script, on memcached by its CAS), so they cannot
 * both take the last place. A session counts when the user index lists it
 * live, or when the record admitted it in the last minute (a login in flight
 * on another server, not yet listed when this one listed). Over-counting is
 * the failure mode, never a user past the limit.
 */
import { SessionLimitError } from '../errors.js';
import type { IndexedSession } from '../providers/provider.js';
import type { SessionCore } from '../manager/core.js';
import type { UserDoc } from './record.js';

/** How long an admitted session counts before the index lists it (a login in flight elsewhere). */
const IN_FLIGHT_MS = 60_000;

/**
 * Applies the limit to `doc` for the session `ref` being admitted (already in
 * the index) with `live` as listed before the update. `leaving`: refs this
 * login replaces (the pre-login session, the series' previous session).
 * Returns the refs to evict; throws `SessionLimitError` under `refuse`.
 */
export function admit(core: SessionCore, doc: UserDoc, live: readonly IndexedSession[] | null, ref: string, leaving: readonly string[], now: number): string[] {
  const max = core.config.maxSessions;
  if (max === undefined || live === null) return [];
  // Counted: sessions this record admitted (listed live, or admitted in the last
  // minute and not listed yet), and listed sessions older than a minute (made
  // before the limit was on). A young listed session the record does not know
  // is a login in flight elsewhere: its own update counts this one.
  const seen = new Map<string, number>();
  const listed = new Set<string>();
  for (const e of live) {
    listed.add(e.ref);
    if (doc.d[e.ref] !== undefined || now - e.loginAt >= IN_FLIGHT_MS) seen.set(e.ref, e.lastSeenAt ?? e.loginAt);
  }
  for (const [r, d] of Object.entries(doc.d)) {
    if (listed.has(r)) continue;
    if (now - d.c < IN_FLIGHT_MS) seen.set(r, d.c);
    else delete doc.d[r];
  }
  seen.delete(ref);
  for (const r of leaving) seen.delete(r);
  const over = seen.size + 1 - max.limit;
  if (over <= 0) return [];
  if (max.policy === 'refuse') throw new SessionLimitError(max.limit);
  // Least recently seen first (memcached cannot tell when a session was seen: the oldest login goes).
  const victims = [...seen.entries()].sort((a, b) => a[1] - b[1]).slice(0, over).map(([r]) => r);
  for (const r of victims) {
    delete doc.d[r];
    for (const s of Object.values(doc.s)) if (s.f === r && s.x === undefined) s.x = 'evicted';
  }
  return victims;
}

function evictedName(ref: string): string {
  return 'e\u0000' + ref;
}

/** Ends evicted sessions on every server: a tombstone saying why, then the index's destroy. */
export async function evict(core: SessionCore, userId: string, victims: readonly string[]): Promise<void> {
  if (victims.length === 0) return;
  const records = core.provider.records;
  const users = core.provider.users;
  if (records === undefined || users === undefined) return;
  const c = core.config;
  const ttl = c.sessionExpire > 0 ? c.sessionExpire : c.cookieExpire > 0 ? c.cookieExpire : 86_400;
  await Promise.all(victims.map((ref) => records.put(evictedName(ref), '1', null, ttl)));
  await users.destroy(userId, victims);
}

/**
 * Why a restore found nothing, when the index can tell: `revoked` (a
 * tombstone), `evicted` (the device limit's tombstone beside it), else
 * `unknown`. Asked only then; a failing check says `unknown`.
 */
export async function missingReason(core: SessionCore, sid: string): Promise<'revoked' | 'evicted' | 'unknown'> {
  const users = core.provider.users;
  if (users?.revoked === undefined) return 'unknown';
  try {
    if (!(await users.revoked(sid))) return 'unknown';
    const records = core.provider.records;
    if (records === undefined) return 'revoked';
    return (await records.get(evictedName(users.ref(sid)))) === null ? 'revoked' : 'evicted';
  } catch {
    return 'unknown';
  }
}
