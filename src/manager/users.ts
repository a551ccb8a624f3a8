/**
 * Sessions that know their user: `login`, `logout`, `userSessions` and
 * `destroyUserSessions`, over the provider's optional `UserIndex`.
 *
 * The binding lives in the session record (restored with the session, no
 * extra round trip); the per-user index is touched only here.
 */
import { InvalidValueError, UnsupportedError } from '../errors.js';
import type { SessionMeta, UserIndex } from '../providers/provider.js';
import { reportError, type SessionCore } from './store.js';
/** A request's session as these options take it: any `SessionStore` (whatever its data type) or `RequestSession`. */
export interface StoreRef {
  sessionID(): string;
  isSaved(): boolean;
}
import type { SessionRequest } from './http.js';

/** Longest user ID and label accepted (characters). */
export const MAX_USER_ID = 512;
export const MAX_LABEL = 256;

export interface LoginOptions {
  /** Shown in `userSessions` listings (e.g. a device name); never parsed. At most 256 characters. */
  label?: string;
}

export interface DestroyUserSessionsOptions {
  /** Spare this request's session ("log out other devices"). */
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
  /** When the session logged in (got this user), ms since epoch. */
  readonly createdAt: number;
  /** When it was last restored or saved (ms), where the store can tell (memory, Redis); else `null` (memcached). */
  readonly lastSeenAt: number | null;
  readonly label: string | null;
  /** This is the session passed as `current`. */
  readonly current: boolean;
}

export function usersOf(core: SessionCore): UserIndex {
  const users = core.provider.users;
  if (users === undefined || users === null) {
    throw new UnsupportedError('this provider has no user index (Provider.users): login, logout, userSessions and destroyUserSessions need one of the bundled providers or one that implements UserIndex');
  }
  return users;
}

export function checkUserId(userId: unknown): asserts userId is string {
  if (typeof userId !== 'string' || userId.length === 0) throw new InvalidValueError('userId must be a non-empty string');
  if (userId.length > MAX_USER_ID) throw new InvalidValueError(`userId must be at most ${MAX_USER_ID} characters`);
}

export function loginMeta(userId: unknown, options: LoginOptions | undefined): SessionMeta {
  checkUserId(userId);
  const label = options?.label;
  if (label !== undefined && (typeof label !== 'string' || label.length > MAX_LABEL)) {
    throw new InvalidValueError(`label must be a string of at most ${MAX_LABEL} characters`);
  }
  return label === undefined ? { userId, loginAt: Date.now() } : { userId, label, loginAt: Date.now() };
}

export async function listUserSessions(core: SessionCore, userId: string, options: UserSessionsOptions = {}): Promise<UserSessionInfo[]> {
  checkUserId(userId);
  const users = usersOf(core);
  const current = options.current?.isSaved() ? users.ref(options.current.sessionID()) : null;
  let list;
  try {
    list = await users.list(userId, { indexTtl: core.config.cookieExpire });
  } catch (err) {
    throw report(core, err);
  }
  return list
    .map((e) => ({ sidHint: e.sidHint, createdAt: e.loginAt, lastSeenAt: e.lastSeenAt, label: e.label, current: e.ref === current }))
    .sort((a, b) => a.createdAt - b.createdAt);
}

export async function destroyUserSessions(core: SessionCore, userId: string, options: DestroyUserSessionsOptions = {}): Promise<number> {
  checkUserId(userId);
  const users = usersOf(core);
  const keep = options.keep?.isSaved() ? users.ref(options.keep.sessionID()) : null;
  try {
    const list = await users.list(userId, { indexTtl: core.config.cookieExpire });
    const refs = list.map((e) => e.ref).filter((ref) => ref !== keep);
    if (refs.length === 0) return 0;
    return await users.destroy(userId, refs);
  } catch (err) {
    throw report(core, err);
  }
}

function report(core: SessionCore, err: unknown): Error {
  // No request here: the event carries none.
  return reportError(core, NO_REQUEST, 'destroy', err, '');
}

const NO_REQUEST: SessionRequest = { headers: {} };
