/**
 * Remember-me, two ways.
 *
 * Server-side tokens (`login(..., { remember: true })`, `resume`): the cookie
 * holds a series, a token and the user ID, sealed under the remember keys;
 * the user's record (record.ts) holds only the token's hash, the series'
 * device label, expiry and current session. Each resume rotates the token.
 * A token that was rotated away and comes back (a copy of the cookie was
 * used) revokes the series, destroys its session and emits `remember-theft`,
 * except within `rememberGrace` seconds of the rotation: then it is taken
 * for a second tab that sent the same cookie at the same time, and is given
 * the session the rotation made (and no new token: the browser keeps the
 * rotated one from the first response).
 *
 * The seed's psk cookie (`newRemember`/`startRemember`): stateless; the
 * server cannot revoke it, so "log out everywhere" does not reach it.
 */
// No node: modules: the root entry runs on Workers and in browsers too.
import { equalBytes } from '@noble/ciphers/utils.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase64Url, encodeBase64Url } from '../crypto/format.js';
import { HeadersSentError, InvalidValueError } from '../errors.js';
import { headerList, setCookieLine, type SessionRequest, type SessionResponse } from '../manager/http.js';
import { errorCode, reportError } from '../manager/report.js';
import { SessionStore, type RequestState } from '../manager/store.js';
import type { MetaStorer, SessionMeta } from '../providers/provider.js';
import type { SessionHost } from '../manager/host.js';
import { admit, evict } from './limits.js';
import { readDoc, recordsOf, UNCHANGED, updateDoc, type SeriesEntry } from './record.js';

const EPOCH = new Date(0);
const COOKIE = /^wsr1\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]+)$/;
const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

interface RememberCookie {
  series: string;
  token: string;
  userId: string;
}

function randomId(bytes: number): string {
  return encodeBase64Url(globalThis.crypto.getRandomValues(new Uint8Array(bytes)));
}

export function newSeriesId(): string {
  return randomId(16);
}

export function newToken(): string {
  return randomId(32);
}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder('utf-8', { fatal: false });

/** base64url of a string's UTF-8 (IDs inside sealed texts: no separator can appear in them). */
export function b64utf8(s: string): string {
  return encodeBase64Url(utf8.encode(s));
}

/** The string whose UTF-8 `b64` is; '' for text that is not base64url (then no user matches). */
export function utf8Of(b64: string): string {
  const bytes = decodeBase64Url(b64);
  return bytes === null ? '' : fromUtf8.decode(bytes);
}

export function hashToken(token: string): string {
  return encodeBase64Url(sha256(utf8.encode(token)));
}

function same(a: string, b: string | null): boolean {
  if (b === null || a.length !== b.length) return false;
  return equalBytes(utf8.encode(a), utf8.encode(b));
}

function parseCookie(value: string): RememberCookie | null {
  const m = COOKIE.exec(value);
  if (m === null) return null;
  const userId = utf8Of(m[3] as string);
  return userId.length === 0 ? null : { series: m[1] as string, token: m[2] as string, userId };
}

/** A series entry for a new login with `remember`. */
export function seriesEntry(host: SessionHost, sid: string, ref: string, token: string, label: string | null, authAt: number, now: number): SeriesEntry {
  const c = host.core.config;
  return { h: hashToken(token), p: null, r: now, a: host.core.codec.seal(sid), f: ref, l: label, e: c.rememberExpire > 0 ? now + c.rememberExpire * 1000 : 0, t: authAt };
}

/** Sets the remember-me cookie for `series`, expiring with the series. */
export function setRememberCookie(host: SessionHost, state: RequestState, userId: string, series: string, token: string, expiresAt: number): void {
  const c = host.core.config;
  const sealed = host.remember.seal(`wsr1.${series}.${token}.${b64utf8(userId)}`);
  const maxAge = expiresAt > 0 ? Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000)) : undefined;
  host.putLine(state, c.rememberName, setCookieLine(c.rememberName, sealed, host.rememberAttrs, maxAge, maxAge === undefined ? undefined : new Date(expiresAt)));
}

export function clearRememberCookie(host: SessionHost, state: RequestState): void {
  const name = host.core.config.rememberName;
  host.putLine(state, name, setCookieLine(name, '', host.rememberAttrs, 0, EPOCH));
}

/** The request's remember-me cookie, when it is a server-side token (not a psk). */
export function presentedCookie(host: SessionHost, req: SessionRequest): RememberCookie | null {
  const opened = host.open(req, host.remember, host.core.config.rememberName, host.rememberOpen);
  return opened.ok ? parseCookie(opened.value) : null;
}

/**
 * `session.resume`: the live user-bound session if there is one; else logs
 * the device back in from its remember-me token (a new session, the token
 * rotated); `null` when there is nothing to resume. A revoked series leaves
 * the request's store with `reason: 'revoked'` (or `'evicted'`).
 */
export function resume(host: SessionHost, req: SessionRequest, res: SessionResponse): Promise<SessionStore | null> {
  const started = host.begin(req, res);
  // A returning request of a logged-in session (the common case) costs what `start` does: no async hop of its own.
  if (started instanceof SessionStore && !started.isNew() && started.userId() !== null) return Promise.resolve(started);
  return resumeFrom(host, req, res, started);
}

async function resumeFrom(host: SessionHost, req: SessionRequest, res: SessionResponse, started: SessionStore | Promise<SessionStore>): Promise<SessionStore | null> {
  const { core } = host;
  const store = await started;
  if (!store.isNew() && store.userId() !== null) return store;
  const cookie = presentedCookie(host, req);
  const users = core.provider.users;
  if (cookie === null || users === undefined || core.provider.records === undefined) return null;
  if (res.headersSent === true) throw new HeadersSentError('cannot resume: headers already sent');
  const state = host.stateFor(req, res);
  const presented = hashToken(cookie.token);
  const grace = core.config.rememberGrace * 1000;
  try {
    const doc = await readDoc(recordsOf(core), cookie.userId);
    const entry = doc?.s[cookie.series];
    const now = Date.now();
    if (entry === undefined || (entry.e > 0 && entry.e <= now)) {
      clearRememberCookie(host, state);
      return null;
    }
    if (entry.x !== undefined) return revoked(host, state, store, entry.x === 'evicted' ? 'evicted' : 'revoked');
    if (same(presented, entry.h)) return await rotate(host, state, store, cookie, presented, entry);
    if (same(presented, entry.p) && now - entry.r <= grace) return await adopt(host, state, entry.a, cookie.userId);
    await theft(host, state, cookie);
    return revoked(host, state, store, 'revoked');
  } catch (err) {
    throw reportError(core, req, 'restore', err, '');
  }
}

function revoked(host: SessionHost, state: RequestState, store: SessionStore, reason: 'revoked' | 'evicted'): null {
  clearRememberCookie(host, state);
  // Only a new session is replaced: an anonymous live one keeps its data.
  if (store.isNew()) {
    store.kill();
    state.store = host.fresh(state, reason);
  }
  return null;
}

type Outcome = { kind: 'rotated'; previous: string; victims: string[] } | { kind: 'grace'; alias: string } | { kind: 'theft' } | { kind: 'gone' };

async function rotate(host: SessionHost, state: RequestState, store: SessionStore, cookie: RememberCookie, presented: string, first: SeriesEntry): Promise<SessionStore | null> {
  const { core } = host;
  const users = core.provider.users!;
  const grace = core.config.rememberGrace * 1000;
  const newSid = core.codec.newSessionId();
  const ref = users.ref(newSid);
  const token = newToken();
  const leaving = store.isSaved() ? [users.ref(store.sessionID())] : [];
  const now = Date.now();
  const meta: SessionMeta = { userId: cookie.userId, loginAt: now, authAt: first.t, series: cookie.series, ...(first.l === null ? {} : { label: first.l }) };
  const live = core.config.maxSessions === undefined ? null : await users.list(cookie.userId, { indexTtl: core.config.cookieExpire });
  // What this response set before the new session: a rotation that loses its race takes its cookies back.
  const before = state.lines === null ? null : new Map(state.lines);
  // The session first, then the claim: an alias the record names always exists (a racing tab may follow it at once).
  await store.bind(meta, newSid);
  let outcome: Outcome | undefined;
  try {
    outcome = await updateDoc(core, cookie.userId, (doc, at): Outcome => {
      const e = doc.s[cookie.series];
      if (e === undefined || e.x !== undefined) return { kind: 'gone' };
      if (same(presented, e.h)) {
        const previous = e.f;
        const victims = admit(core, doc, live, ref, [...leaving, previous], at);
        const device = doc.d[previous];
        delete doc.d[previous];
        doc.d[ref] = { ...(device ?? {}), c: at, r: cookie.series };
        doc.s[cookie.series] = { ...e, h: hashToken(token), p: e.h, r: at, a: core.codec.seal(newSid), f: ref };
        return { kind: 'rotated', previous, victims };
      }
      if (same(presented, e.p) && at - e.r <= grace) return { kind: 'grace', alias: e.a };
      e.x = 'theft';
      return { kind: 'theft' };
    });
  } catch (err) {
    await dropNew(host, state, store, cookie.userId, newSid, before);
    throw err;
  }
  if (outcome?.kind === 'rotated') {
    // One live session per series: the one the token last made goes (normally long expired).
    if (outcome.previous !== ref) await users.destroy(cookie.userId, [outcome.previous]).catch(() => 0);
    await evict(core, cookie.userId, outcome.victims);
    setRememberCookie(host, state, cookie.userId, cookie.series, token, first.e);
    return store;
  }
  await dropNew(host, state, store, cookie.userId, newSid, before);
  if (outcome?.kind === 'grace') return adopt(host, state, outcome.alias, cookie.userId);
  if (outcome?.kind === 'theft') await theft(host, state, cookie, true);
  return revoked(host, state, state.store ?? store, 'revoked');
}

/**
 * Undoes a session made for a rotation that lost its race, and takes back the
 * cookies it set in this response: a browser whose tabs share one jar must
 * not end up with the dropped session's cookies over the winner's (on
 * CookieProvider they are the session itself).
 */
async function dropNew(host: SessionHost, state: RequestState, store: SessionStore, userId: string, sid: string, before: ReadonlyMap<string, string> | null): Promise<void> {
  store.kill();
  restoreLines(state, before);
  state.store = host.fresh(state, 'absent');
  try {
    await host.core.provider.users!.logout(sid, userId);
  } catch {
    // It expires on its own; the user's list prunes it.
  }
}

/** Puts the response's Set-Cookie lines of this library back as they were (`before`), unless the headers are out. */
function restoreLines(state: RequestState, before: ReadonlyMap<string, string> | null): void {
  const lines = state.lines;
  if (lines === null || state.res.headersSent === true) return;
  const list = headerList(state.res.getHeader('set-cookie'));
  let changed = false;
  for (const [name, line] of [...lines]) {
    const previous = before?.get(name);
    if (previous === line) continue;
    const i = list.lastIndexOf(line);
    if (i >= 0) list.splice(i, 1);
    if (previous === undefined) lines.delete(name);
    else {
      list.push(previous);
      lines.set(name, previous);
    }
    changed = true;
  }
  if (changed) state.res.setHeader('Set-Cookie', list);
}

/** Serves the request the session a rotation made (a racing tab), without a new token. */
async function adopt(host: SessionHost, state: RequestState, alias: string, userId: string): Promise<SessionStore | null> {
  const { core } = host;
  const opened = core.codec.openText(alias);
  if (!opened.ok || !SESSION_ID.test(opened.value)) return null;
  const sid = opened.value;
  let storer: MetaStorer;
  try {
    storer = (await state.provider.restore(sid, { touch: core.config.rolling })) as MetaStorer;
  } catch (err) {
    // ERR_INVALID_COOKIE: a CookieProvider session lives in the winner's response cookies, not this request's.
    const code = errorCode(err);
    if (code === 'ERR_SESSION_NOT_FOUND' || code === 'ERR_INVALID_COOKIE') return null;
    throw err;
  }
  const meta = storer.meta?.() ?? null;
  if (meta?.userId !== userId || storer.alias?.() != null) return null;
  state.store?.kill();
  const adopted = new SessionStore(core, state, {
    sid,
    issuedAt: meta.idAt ?? meta.loginAt ?? Date.now(),
    storer,
    value: storer.getValue(),
    isNew: false,
    reason: null,
    meta,
    cookiePending: true,
  });
  state.store = adopted;
  adopted.writeCookie();
  return adopted;
}

/** A rotated-away token came back: revoke the series, end its session, tell the app. */
async function theft(host: SessionHost, state: RequestState, cookie: RememberCookie, marked = false): Promise<void> {
  const { core } = host;
  let session: string | null = null;
  await updateDoc(
    core,
    cookie.userId,
    (doc) => {
      const e = doc.s[cookie.series];
      if (e === undefined) return UNCHANGED;
      session = e.f;
      if (e.x !== undefined && !marked) return UNCHANGED;
      e.x = 'theft';
      delete doc.d[e.f];
      return true;
    },
    true,
  );
  if (session !== null) await core.provider.users!.destroy(cookie.userId, [session]);
  if (core.events.has('remember-theft')) {
    core.events.emit('remember-theft', { req: state.req, cookieName: core.config.rememberName, userId: cookie.userId, seriesHint: cookie.series.slice(0, 4) + '…' });
  }
}

/**
 * Revokes series of `userId`: those `pick` selects (by entry). Their cookies
 * then resume nothing (`reason: 'revoked'`) until they expire.
 */
export async function revokeSeries(host: SessionHost, userId: string, pick: (series: string, e: SeriesEntry) => boolean): Promise<void> {
  if (host.core.provider.records === undefined) return;
  await updateDoc(
    host.core,
    userId,
    (doc) => {
      let changed = false;
      for (const [id, e] of Object.entries(doc.s)) {
        if (e.x === undefined && pick(id, e)) {
          e.x = 'revoked';
          changed = true;
        }
      }
      return changed ? true : UNCHANGED;
    },
    true,
  );
}

// The seed's stateless psk cookie.

export function newRemember(host: SessionHost, req: SessionRequest, res: SessionResponse, psk: string): void {
  if (typeof psk !== 'string' || psk.length === 0) throw new InvalidValueError('psk must be a non-empty string');
  if (res.headersSent === true) throw new HeadersSentError('cannot set the remember-me cookie: headers already sent');
  const c = host.core.config;
  const token = host.remember.seal(psk);
  const maxAge = c.rememberExpire > 0 ? c.rememberExpire : undefined;
  const expires = maxAge === undefined ? undefined : new Date(Date.now() + maxAge * 1000);
  host.putLine(host.stateFor(req, res), c.rememberName, setCookieLine(c.rememberName, token, host.rememberAttrs, maxAge, expires));
}

export function startRemember(host: SessionHost, req: SessionRequest): string | null {
  const opened = host.open(req, host.remember, host.core.config.rememberName, host.rememberOpen);
  // A server-side token is not a psk.
  return opened.ok && !COOKIE.test(opened.value) ? opened.value : null;
}

export function destroyRemember(host: SessionHost, req: SessionRequest, res: SessionResponse): void {
  clearRememberCookie(host, host.stateFor(req, res));
}
