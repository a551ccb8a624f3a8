/**
 * Sessions that know their user: `login`, `logout`, `userSessions`,
 * `destroyUserSessions`, `revokeSession`, over the provider's optional
 * `UserIndex` (and its `RecordStore` for remember-me series, the device
 * limit and device details).
 *
 * The binding lives in the session record (restored with the session, no
 * extra round trip); the per-user index and record are touched only here.
 */
import { HeadersSentError, InvalidHandleError, InvalidValueError, SessionLimitError, UnsupportedError } from '../errors.js';
import type { IndexedSession, SessionMeta, UserIndex } from '../providers/provider.js';
import { setCookieLine, type SessionRequest, type SessionResponse } from '../manager/http.js';
import { COOKIE_HINT, reportError } from '../manager/report.js';
import type { SessionCore } from '../manager/core.js';
import type { SessionStore } from '../manager/store.js';
import type { SessionHost } from '../manager/host.js';
import { admit, evict } from './limits.js';
import { readDoc, recordsOf, UNCHANGED, updateDoc, type DeviceEntry } from './record.js';
import { b64utf8, clearRememberCookie, newSeriesId, newToken, presentedCookie, revokeSeries, seriesEntry, setRememberCookie, utf8Of } from './remember.js';

/** A request's session as these options take it: any `SessionStore` (whatever its data type) or `RequestSession`. */
export interface StoreRef {
  sessionID(): string;
  isSaved(): boolean;
}

/** Longest user ID and label accepted (characters). */
export const MAX_USER_ID = 512;
export const MAX_LABEL = 256;
/** Longest IP address and user agent kept (characters; longer ones are cut). */
export const MAX_IP = 64;
export const MAX_USER_AGENT = 256;

const EPOCH = new Date(0);

export interface LoginOptions {
  /** Shown in `userSessions` listings (e.g. a device name); never parsed. At most 256 characters. */
  label?: string;
  /**
   * Also issue a server-side remember-me token (a cookie of `rememberName`
   * holding a series and a token; the store keeps only its hash), so
   * `session.resume` can log this device back in after its session ended,
   * until `logout`, `destroyUserSessions` or `revokeSession` revokes it.
   * Needs a provider with `records`.
   */
  remember?: boolean;
  /** The client's address, shown in listings (kept on the server, cut to 64 characters). */
  ip?: string;
  /** The client's User-Agent, shown in listings (kept on the server, cut to 256 characters). */
  userAgent?: string;
}

export interface DestroyUserSessionsOptions {
  /** Spare this request's session ("log out other devices"), and its remember-me series. */
  keep?: StoreRef;
}

export interface UserSessionsOptions {
  /** The request's session: its entry gets `current: true`. */
  current?: StoreRef;
}

/** One of a user's live sessions, as `userSessions` lists it. Never a usable session ID. */
export interface UserSessionInfo {
  /** The first four characters of the session ID (as in log events). */
  readonly sidHint: string;
  /** Opaque and sealed, bound to the user: pass it to `session.revokeSession` to end this session. Useless as a session ID. */
  readonly handle: string;
  /** When the session logged in (got this user), ms since epoch. */
  readonly createdAt: number;
  /** When it was last restored or saved (ms), where the store can tell (memory, Redis); else `null` (memcached). */
  readonly lastSeenAt: number | null;
  readonly label: string | null;
  /** As given to `login` (`null` when not given, or on a provider without records). */
  readonly ip: string | null;
  readonly userAgent: string | null;
  /** The device has a remember-me series (it comes back after its session ends). */
  readonly remembered: boolean;
  /** This is the session passed as `current`. */
  readonly current: boolean;
}

export function usersOf(core: SessionCore): UserIndex {
  const users = core.provider.users;
  if (users === undefined || users === null) {
    throw new UnsupportedError(`this provider has no user index (Provider.users): login, logout, userSessions and destroyUserSessions need one of the bundled providers or one that implements UserIndex${COOKIE_HINT}`);
  }
  return users;
}

export function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) throw new InvalidValueError('userId must be a non-empty string');
  if (userId.length > MAX_USER_ID) throw new InvalidValueError(`userId must be at most ${MAX_USER_ID} characters`);
}

function optText(value: unknown, name: string, max: number): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new InvalidValueError(`${name} must be a string`);
  return value.slice(0, max);
}

export function loginMeta(userId: unknown, options: LoginOptions | undefined): SessionMeta {
  checkUserId(userId);
  const label = options?.label;
  if (label !== undefined && (typeof label !== 'string' || label.length > MAX_LABEL)) {
    throw new InvalidValueError(`label must be a string of at most ${MAX_LABEL} characters`);
  }
  // authAt is left out: it is loginAt until a re-authentication (the record stays as small as before).
  return label === undefined ? { userId, loginAt: Date.now() } : { userId, label, loginAt: Date.now() };
}

/**
 * `session.login`: a new ID bound to the user (the data kept, the old ID
 * destroyed), indexed under it, admitted under `maxSessions`, with device
 * details and a remember-me series when asked.
 */
export async function login(host: SessionHost, req: SessionRequest, res: SessionResponse, userId: string, options: LoginOptions = {}): Promise<SessionStore> {
  const { core } = host;
  const base = loginMeta(userId, options);
  const ip = optText(options.ip, 'ip', MAX_IP);
  const userAgent = optText(options.userAgent, 'userAgent', MAX_USER_AGENT);
  const users = usersOf(core);
  const limit = core.config.maxSessions;
  const needsRecord = options.remember === true || limit !== undefined || ip !== undefined || userAgent !== undefined;
  if (needsRecord) recordsOf(core);
  const store = await host.start(req, res);
  if (res.headersSent === true) throw new HeadersSentError('cannot log in: headers already sent');
  const state = host.stateFor(req, res);
  const leaving = store.isSaved() ? [users.ref(store.sessionID())] : [];
  const indexTtl = { indexTtl: core.config.cookieExpire };
  let live: IndexedSession[] | null = null;
  try {
    if (limit !== undefined) {
      live = await users.list(userId, indexTtl);
      // Refused before anything changes (the pre-login session stays); the record's check below decides races.
      if (limit.policy === 'refuse' && live.filter((e) => !leaving.includes(e.ref)).length >= limit.limit) throw new SessionLimitError(limit.limit);
    }
  } catch (err) {
    throw reportError(core, req, 'refresh', err, store.sessionID());
  }
  // A remember-me token this device already holds is replaced (remember) or ended (no remember).
  const held = core.provider.records === undefined ? null : presentedCookie(host, req);
  const series = options.remember === true ? newSeriesId() : null;
  const token = series === null ? null : newToken();
  const meta: SessionMeta = series === null ? base : { ...base, series };
  const newSid = core.codec.newSessionId();
  const ref = users.ref(newSid);
  await store.bind(meta, newSid);
  if (held !== null) {
    try {
      await revokeSeries(host, held.userId, (id) => id === held.series);
    } catch (err) {
      reportError(core, req, 'destroy', err, '');
    }
    if (series === null) clearRememberCookie(host, state);
  }
  if (!needsRecord) return store;
  const device: DeviceEntry = { c: Date.now(), ...(ip === undefined ? {} : { i: ip }), ...(userAgent === undefined ? {} : { u: userAgent }), ...(series === null ? {} : { r: series }) };
  let victims: string[] | undefined;
  let expires = 0;
  try {
    victims = await updateDoc(core, userId, (doc, now) => {
      const out = admit(core, doc, live, ref, leaving, now);
      for (const r of leaving) delete doc.d[r];
      doc.d[ref] = device;
      if (series !== null && token !== null) {
        const entry = seriesEntry(host, newSid, ref, token, base.label ?? null, base.loginAt ?? now, now);
        expires = entry.e;
        doc.s[series] = entry;
      }
      return out;
    });
  } catch (err) {
    // Refused in a race (or the record failed): the new session does not stay.
    store.kill();
    state.store = null;
    state.ignoreCookie = true;
    host.putLine(state, core.config.cookieName, setCookieLine(core.config.cookieName, '', core.attrs, 0, EPOCH));
    // The request's view (CookieProvider) also takes back the session's cookies.
    await (state.provider.users ?? users).logout(newSid, userId).catch(() => undefined);
    throw reportError(core, req, 'refresh', err, newSid);
  }
  try {
    await evict(core, userId, victims ?? []);
  } catch (err) {
    reportError(core, req, 'destroy', err, '');
  }
  if (series !== null && token !== null) setRememberCookie(host, state, userId, series, token, expires);
  return store;
}

/** `session.logout`: `destroy`, the session leaves its user's index, and this device's remember-me series is revoked. */
export async function logout(host: SessionHost, req: SessionRequest, res: SessionResponse, destroy: () => Promise<void>): Promise<void> {
  const { core } = host;
  const state = host.stateFor(req, res);
  if (state.pending !== null) await state.pending.catch(() => undefined);
  const store = state.store ?? (state.ignoreCookie ? null : await host.start(req, res).catch(() => null));
  const userId = store?.userId() ?? null;
  const sid = store?.storedId() ?? null;
  const series = store?.meta?.series;
  // A cookie-carrying provider's per-request view also clears the session's cookies.
  const users = state.provider.users ?? core.provider.users;
  // The device logs out: its remember-me token goes, whatever else happens (a psk cookie is the app's to forget).
  const held = core.provider.records === undefined ? null : presentedCookie(host, req);
  if (series !== undefined || held !== null) clearRememberCookie(host, state);
  if (held !== null && held.series !== series) await revokeSeries(host, held.userId, (id) => id === held.series).catch((err: unknown) => reportError(core, req, 'destroy', err, ''));
  if (userId === null || sid === null || users === undefined) return destroy();
  store?.kill();
  state.store = null;
  state.ignoreCookie = true;
  host.putLine(state, core.config.cookieName, setCookieLine(core.config.cookieName, '', core.attrs, 0, EPOCH));
  try {
    await users.logout(sid, userId);
    if (core.provider.records !== undefined && (series !== undefined || core.config.maxSessions !== undefined)) {
      const ref = users.ref(sid);
      await updateDoc(
        core,
        userId,
        (doc) => {
          delete doc.d[ref];
          const e = series === undefined ? undefined : doc.s[series];
          if (e !== undefined && e.x === undefined) e.x = 'revoked';
          return true;
        },
        true,
      );
    }
  } catch (err) {
    throw reportError(core, req, 'destroy', err, sid);
  }
}

/** The remember-me series of a request's session (a SessionStore, or an adapter's RequestSession). */
function seriesOf(ref: StoreRef): string | undefined {
  const r = ref as { meta?: SessionMeta | null; store?: { meta?: SessionMeta | null } };
  return (r.meta ?? r.store?.meta)?.series;
}

function sealHandle(host: SessionHost, userId: string, ref: string): string {
  return host.handles().seal(`h1.${ref}.${b64utf8(userId)}`);
}

function openHandle(host: SessionHost, userId: string, handle: unknown): string {
  if (typeof handle !== 'string' || handle.length === 0 || handle.length > 1024) throw new InvalidHandleError('handle must be a string from userSessions()');
  const opened = host.handles().openText(handle);
  if (!opened.ok) throw new InvalidHandleError(`not a session handle of this app (${opened.reason})`);
  const m = /^h1\.([^.]+)\.([A-Za-z0-9_-]+)$/.exec(opened.value);
  if (m === null) throw new InvalidHandleError('not a session handle');
  if (utf8Of(m[2] as string) !== userId) throw new InvalidHandleError('this handle belongs to another user');
  return m[1] as string;
}

export async function listUserSessions(host: SessionHost, userId: string, options: UserSessionsOptions = {}): Promise<UserSessionInfo[]> {
  const { core } = host;
  checkUserId(userId);
  const users = usersOf(core);
  const current = options.current?.isSaved() ? users.ref(options.current.sessionID()) : null;
  let list: IndexedSession[];
  let devices: Record<string, DeviceEntry> = {};
  try {
    const records = core.provider.records;
    const [l, doc] = await Promise.all([users.list(userId, { indexTtl: core.config.cookieExpire }), records === undefined ? null : readDoc(records, userId)]);
    list = l;
    if (doc !== null) devices = doc.d;
  } catch (err) {
    throw report(core, err);
  }
  return list
    .map((e) => {
      const d = devices[e.ref];
      return {
        sidHint: e.sidHint,
        handle: sealHandle(host, userId, e.ref),
        createdAt: e.loginAt,
        lastSeenAt: e.lastSeenAt,
        label: e.label,
        ip: d?.i ?? null,
        userAgent: d?.u ?? null,
        remembered: d?.r !== undefined,
        current: e.ref === current,
      };
    })
    .sort((a, b) => a.createdAt - b.createdAt);
}

export async function destroyUserSessions(host: SessionHost, userId: string, options: DestroyUserSessionsOptions = {}): Promise<number> {
  const { core } = host;
  checkUserId(userId);
  const users = usersOf(core);
  const keep = options.keep?.isSaved() ? users.ref(options.keep.sessionID()) : null;
  const keepSeries = options.keep === undefined ? undefined : seriesOf(options.keep);
  try {
    // The series first: a remembered device must not log back in between.
    await revokeSeries(host, userId, (id, e) => e.f !== keep && id !== keepSeries);
    const list = await users.list(userId, { indexTtl: core.config.cookieExpire });
    const refs = list.map((e) => e.ref).filter((ref) => ref !== keep);
    if (refs.length === 0) return 0;
    return await users.destroy(userId, refs);
  } catch (err) {
    throw report(core, err);
  }
}

/**
 * Ends the one session `handle` names (from `userSessions`) on every server,
 * with its remember-me series. Resolves `false` when it had ended already.
 * `InvalidHandleError` for a forged handle or another user's.
 */
export async function revokeSession(host: SessionHost, userId: string, handle: string): Promise<boolean> {
  const { core } = host;
  checkUserId(userId);
  const users = usersOf(core);
  const ref = openHandle(host, userId, handle);
  try {
    await revokeSeries(host, userId, (_id, e) => e.f === ref);
    const n = await users.destroy(userId, [ref]);
    if (core.provider.records !== undefined) {
      await updateDoc(core, userId, (doc) => (doc.d[ref] === undefined ? UNCHANGED : delete doc.d[ref]), true);
    }
    return n > 0;
  } catch (err) {
    throw report(core, err);
  }
}

/**
 * `session.reauthenticated`: the app re-checked a password or second factor.
 * The session gets a new ID (as at login) and `authenticatedAt` now.
 */
export async function reauthenticated(host: SessionHost, req: SessionRequest, res: SessionResponse): Promise<SessionStore> {
  const store = await host.start(req, res);
  const meta = store.meta;
  if (meta?.userId === undefined) throw new InvalidValueError('reauthenticated needs a logged-in session (session.login first)');
  if (res.headersSent === true) throw new HeadersSentError('cannot re-authenticate: headers already sent');
  const { idAt: _idAt, ...kept } = meta;
  await store.bind({ ...kept, authAt: Date.now() });
  return store;
}


function report(core: SessionCore, err: unknown): Error {
  // No request here: the event carries none.
  return reportError(core, NO_REQUEST, 'destroy', err, '');
}

const NO_REQUEST: SessionRequest = { headers: {} };
