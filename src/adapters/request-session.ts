/**
 * The per-request session object every adapter hands to handlers
 * (`req.session`, `request.session`, `ctx.session`, `c.get('session')`).
 * Framework-free: no adapter's framework is imported here.
 * @module
 */
import { InvalidConfigError } from '../errors.js';
import type { Session } from '../session/session.js';
import type { SessionStore } from '../manager/store.js';
import type { SessionRequest, SessionResponse } from '../manager/http.js';
import type { StartReason } from '../manager/events.js';
import type { DefaultSessionData, Value } from '../manager/value.js';
import type { Storer } from '../providers/provider.js';
import type { LoginOptions, UserSessionInfo } from '../users/sessions.js';

/**
 * Any {@link Session}, whatever its data type (`Session<D>` is invariant in
 * `D`): what the adapters accept. Handlers' `req.session` is typed by the
 * app's declared `SessionData`.
 */
export interface AnySession {
  start(req: SessionRequest, res: SessionResponse): Promise<unknown>;
  refresh(req: SessionRequest, res: SessionResponse): Promise<unknown>;
  destroy(req: SessionRequest, res: SessionResponse): Promise<void>;
}

/**
 * Fails fast (at app setup, not on the first request) when an adapter is
 * given something other than a Session. Duck-typed: two copies of this
 * package in one app would fail an `instanceof`.
 * @internal
 */
export function assertSession(session: unknown, where: string): asserts session is Session {
  const s = session as Partial<Session> | null | undefined;
  if (typeof s?.start !== 'function' || typeof s.refresh !== 'function' || typeof s.destroy !== 'function') {
    throw new InvalidConfigError(`${where}: expected a Session (new Session(provider, config))`);
  }
}

/**
 * `session.start`, but the store itself where the Session made it at once
 * (`Session.begin`); a start-only stand-in for a Session gets its promise.
 * @internal
 */
export function beginSession<D extends object>(session: Session<D>, req: SessionRequest, res: SessionResponse): SessionStore<D> | Promise<SessionStore<D>> {
  return typeof session.begin === 'function' ? session.begin(req, res) : session.start(req, res);
}

/**
 * One request's session: a `Storer` (`getValue()`, `setValue()`, `touch()`,
 * `sessionID()`) over the request's {@link SessionStore}, plus the
 * request-bound operations of {@link Session} (`refresh`, `destroy`,
 * remember-me) so handlers need neither `req` nor `res` to call them.
 *
 * It is a view: after `destroy()` it switches to the request's new, empty
 * session, so `getValue()` never hands out a destroyed session's data.
 */
export class RequestSession<D extends object = DefaultSessionData> implements Storer<D> {
  readonly #session: Session<D>;
  readonly #req: SessionRequest;
  readonly #res: SessionResponse;
  #store: SessionStore<D>;
  #flushed = false;

  /** @internal Adapters make these with {@link RequestSession.start}. */
  constructor(session: Session<D>, req: SessionRequest, res: SessionResponse, store: SessionStore<D>) {
    this.#session = session;
    this.#req = req;
    this.#res = res;
    this.#store = store;
  }

  /**
   * Restores or starts the session of `req` (see `Session.start`) and wraps
   * it: at once where the store was made synchronously (an in-process
   * provider), else as a promise. Rejects only like `Session.start` does (`StoreUnavailableError` with `onStoreError: 'fail'`).
   * @internal
   */
  static start<D extends object>(session: Session<D>, req: SessionRequest, res: SessionResponse): RequestSession<D> | Promise<RequestSession<D>> {
    const started = beginSession(session, req, res);
    if (started instanceof Promise) return started.then((store) => new RequestSession(session, req, res, store));
    return new RequestSession(session, req, res, started);
  }

  /** The underlying store of this request (changes after `destroy()`). */
  get store(): SessionStore<D> {
    return this.#store;
  }

  /** The session ID. Treat it as a secret: it is the session. */
  sessionID(): string {
    return this.#store.sessionID();
  }

  /** The session's data; changes are saved before the response goes out. */
  getValue(): Value<D> {
    return this.#store.getValue();
  }

  /** Replaces the session's data with a copy of `v` and saves it. */
  setValue(v: Value<D>): Promise<void> {
    return this.#store.setValue(v);
  }

  /** Slides the idle timeout forward. */
  touch(): Promise<void> {
    return this.#store.touch();
  }

  /** Writes a changed value now (adapters also do it before the response goes out). */
  save(): Promise<void> {
    return this.#store.save();
  }

  /**
   * Saves before the response goes out, as the manager's `node:http` hooks
   * do: only a changed value (`save()` would also create an untouched new
   * session, which lazy creation must not).
   * @internal
   */
  async flush(): Promise<void> {
    await this.#saveChanged();
  }

  /**
   * {@link flush} for adapters whose hook may run twice for one response
   * (Fastify's `onSend` runs again for the error reply of a failed save): the
   * first call saves a changed value and returns the save's promise; it
   * returns `null` when there is nothing to wait for (unchanged, or called
   * before), so the adapter can go on synchronously.
   * @internal
   */
  flushOnce(): Promise<void> | null {
    if (this.#flushed) return null;
    this.#flushed = true;
    return this.#saveChanged();
  }

  /** Saves a changed value: `null` when there was nothing to wait for (unchanged, or an in-process store that saved at once). */
  #saveChanged(): Promise<void> | null {
    if (!this.#store.needsSave()) return null;
    try {
      if (this.#store.saveSync()) return null;
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return this.#store.save();
  }

  /**
   * The handler failed: its changes are not saved (what `save()` already
   * wrote stays). Adapters call it from the framework's error path.
   * @internal
   */
  discard(): void {
    this.#store.discard();
  }

  /** True when this request started a new session (see `reason`). */
  isNew(): boolean {
    return this.#store.isNew();
  }

  /** Why the session is new (`absent`, `invalid`, `expired`, ...); `null` when restored. */
  get reason(): StartReason | null {
    return this.#store.reason;
  }

  /** The session's anti-CSRF token (see `SessionStore.csrfToken`). */
  csrfToken(): string {
    return this.#store.csrfToken();
  }

  /** True once the session exists in the store. */
  isSaved(): boolean {
    return this.#store.isSaved();
  }

  /**
   * Gives the session a new ID, keeping its data (call it at login: it
   * defeats session fixation). Rejects with `HeadersSentError` once the
   * response headers are out.
   */
  async refresh(): Promise<void> {
    this.#store = await this.#session.refresh(this.#req, this.#res);
  }

  /**
   * Removes the session from the store and expires its cookie (logout).
   * Afterwards this object holds a new, empty session, which is only saved
   * (with a new cookie) if the handler changes it.
   */
  async destroy(): Promise<void> {
    await this.#session.destroy(this.#req, this.#res);
    this.#store = await this.#session.start(this.#req, this.#res);
  }

  /** `session.login`: a new ID bound to `userId` and indexed under it (label: shown in listings). */
  async login(userId: string, options?: LoginOptions): Promise<void> {
    this.#store = await this.#session.login(this.#req, this.#res, userId, options);
  }

  /** `session.logout`: destroy, and leave the user's index. Afterwards this object holds a new, empty session. */
  async logout(): Promise<void> {
    await this.#session.logout(this.#req, this.#res);
    this.#store = await this.#session.start(this.#req, this.#res);
  }

  /** The bound user, or `null`. */
  userId(): string | null {
    return this.#store.userId();
  }

  /** The bound user's live sessions, this one marked `current` (`[]` when no user is bound). */
  async userSessions(): Promise<UserSessionInfo[]> {
    const userId = this.#store.userId();
    return userId === null ? [] : this.#session.userSessions(userId, { current: this.#store });
  }

  /** Logs the bound user out of every other session ("log out other devices"); resolves with how many. */
  async destroyOtherSessions(): Promise<number> {
    const userId = this.#store.userId();
    return userId === null ? 0 : this.#session.destroyUserSessions(userId, { keep: this.#store });
  }

  /**
   * `session.resume`: when no user is bound, logs the device back in from its
   * server-side remember-me token. True when a user is bound afterwards.
   */
  async resume(): Promise<boolean> {
    const store = await this.#session.resume(this.#req, this.#res);
    this.#store = store ?? (await this.#session.start(this.#req, this.#res));
    return store !== null;
  }

  /** `session.reauthenticated`: the app re-checked the password or second factor (a new ID, `authenticatedAt` now). */
  async reauthenticated(): Promise<void> {
    this.#store = await this.#session.reauthenticated(this.#req, this.#res);
  }

  /** When the bound user last authenticated (login or re-authentication), ms; `null` when none is bound. */
  authenticatedAt(): number | null {
    return this.#store.authenticatedAt();
  }

  /** True when the bound user authenticated at most `maxAgeSeconds` ago. */
  isFresh(maxAgeSeconds: number): boolean {
    return this.#store.isFresh(maxAgeSeconds);
  }

  /** Ends one of the bound user's sessions by its `userSessions()` handle (`InvalidHandleError` for a foreign one). */
  async revokeSession(handle: string): Promise<boolean> {
    const userId = this.#store.userId();
    if (userId === null) return false;
    return this.#session.revokeSession(userId, handle);
  }

  /** Sets the remember-me cookie carrying `psk` (a random token the app maps to a user). */
  remember(psk: string): void {
    this.#session.newRemember(this.#req, this.#res, psk);
  }

  /** The psk of a valid remember-me cookie on the request, or `null`. */
  remembered(): string | null {
    return this.#session.startRemember(this.#req);
  }

  /** Expires the remember-me cookie. */
  forget(): void {
    this.#session.destroyRemember(this.#req, this.#res);
  }
}
