import { HeadersSentError, SessionNotFoundError, UnsupportedError, type SessionError, type SessionMovedError } from '../errors.js';
import { COOKIE_HINT, errorCode, reportError } from './report.js';
import { aliasTarget } from './renewal.js';
import type { Provider, SessionMeta, Storer } from '../providers/provider.js';
import type { SessionOperation, StartReason } from './events.js';
import { putSetCookie, setCookieLine, type SessionRequest, type SessionResponse } from './http.js';
import type { DefaultSessionData, Value } from './value.js';
import type { SessionCore } from './core.js';

/** Per-request state, kept in a WeakMap keyed by the request. @internal */
export interface RequestState {
  readonly req: SessionRequest;
  readonly res: SessionResponse;
  /** The provider for this request: the Session's, or its per-request view (`Provider.forRequest`). */
  readonly provider: Provider;
  store: SessionStore | null;
  /** A `start` in flight (so concurrent `start`s on one request share it). */
  pending: Promise<SessionStore> | null;
  /**
   * Set-Cookie lines this library put on the response, by cookie name
   * (replaced, never duplicated); `null` until the first (most returning
   * requests set none). Write through `putLine`.
   */
  lines: Map<string, string> | null;
  /** After `destroy`/`new`, a later `start` must not restore from the request's cookie. */
  ignoreCookie: boolean;
  /** `end` was called and is waiting for the save. */
  ending: boolean;
}

/** @internal */
export interface StoreInit {
  sid: string;
  issuedAt: number;
  storer: Storer | null;
  value: Value;
  isNew: boolean;
  reason: StartReason | null;
  /** The client needs (a fresh) cookie for this session. */
  cookiePending: boolean;
  ephemeral?: boolean;
  /** The record's metadata (user binding, ID issue time), from a provider that keeps it. */
  meta?: SessionMeta | null;
  /**
   * A fresh session because the cookie's ID was not found: that ID. A login
   * may still join it, if a concurrent login of the same user moved it just
   * before this request's restore (see `bind`).
   */
  unknownSid?: string | undefined;
}

const MAX_ID_ATTEMPTS = 3;

// Re-exported: the manager's modules have imported them from here.

/** The value key of the session's anti-CSRF token (`store.csrfToken()`, checked by `wasm-session/csrf`). */
export const CSRF_KEY = '__csrf';

/**
 * One request's session, as `session.start` returns it: a `Storer` plus what
 * the app needs to know (`isNew()`, `reason`) and an explicit `save()`.
 *
 * Lazy creation: a new session exists only in memory until its value changes;
 * then the first save creates it in the store (`provider.new`, one write) and
 * its cookie is set before the response headers go out.
 */
export class SessionStore<D extends object = DefaultSessionData> implements Storer<D> {
  readonly #core: SessionCore;
  readonly #state: RequestState;
  #sid: string;
  #issuedAt: number;
  #storer: Storer | null;
  #value: Value<D>;
  readonly #isNew: boolean;
  readonly #reason: StartReason | null;
  #cookiePending: boolean;
  /** The response carries a cookie for the current ID. */
  #cookieWritten = false;
  readonly #ephemeral: boolean;
  /** Destroyed, replaced by `new`, or abandoned after a failed save: never saves or sets a cookie again. */
  #dead = false;
  #saving: Promise<void> | null = null;
  /** The request failed: changes are not saved automatically (an explicit `save()` still is). */
  #discarded = false;
  #meta: SessionMeta | null;
  readonly #unknownSid: string | null;

  /** @internal Made by `Session`; apps get stores from `session.start`. */
  constructor(core: SessionCore, state: RequestState, init: StoreInit) {
    this.#core = core;
    this.#state = state;
    this.#sid = init.sid;
    this.#issuedAt = init.issuedAt;
    this.#storer = init.storer;
    // Types claim the data's shape (SessionData, or a checked schema); providers keep it untyped.
    this.#value = init.value as unknown as Value<D>;
    this.#isNew = init.isNew;
    this.#reason = init.reason;
    this.#cookiePending = init.cookiePending;
    this.#ephemeral = init.ephemeral === true;
    this.#meta = init.meta ?? null;
    this.#unknownSid = init.unknownSid ?? null;
  }

  /** The user this session is bound to (`session.login`), or `null`. */
  userId(): string | null {
    return this.#meta?.userId ?? null;
  }

  /** When the user last proved who they are: the login, or the last `session.reauthenticated` (ms since epoch); `null` when not logged in. A remember-me resume does not count. */
  authenticatedAt(): number | null {
    const m = this.#meta;
    return m?.userId === undefined ? null : (m.authAt ?? m.loginAt ?? null);
  }

  /** True when the user authenticated at most `maxAgeSeconds` ago (step-up, "sudo mode"). */
  isFresh(maxAgeSeconds: number): boolean {
    const at = this.authenticatedAt();
    return at !== null && Date.now() - at <= maxAgeSeconds * 1000;
  }

  /** @internal The record's metadata. */
  get meta(): SessionMeta | null {
    return this.#meta;
  }

  /** The session ID. Treat it as a secret: it is the session. */
  sessionID(): string {
    return this.#sid;
  }

  getValue(): Value<D> {
    return this.#value;
  }

  /**
   * The session's anti-CSRF (synchronizer) token: 128 random bits, made on
   * first use and kept in the session. Put it in forms or an `X-CSRF-Token`
   * header; the `wasm-session/csrf` guard checks it in constant time.
   */
  csrfToken(): string {
    const value = this.#value as unknown as Value;
    const current = value.get(CSRF_KEY);
    if (typeof current === 'string') return current;
    const token = this.#core.codec.newSessionId();
    value.set(CSRF_KEY, token);
    return token;
  }

  /** Replaces the session's data with a copy of `v` and saves it (the whole record is rewritten). */
  async setValue(v: Value<D>): Promise<void> {
    this.#value = v === this.#value ? v : v.clone();
    this.#value.markAllChanged();
    await this.save();
  }

  /** Slides the idle timeout forward (a no-op until the session is in the store). */
  async touch(): Promise<void> {
    if (this.#storer === null || this.#dead) return;
    try {
      await this.#storer.touch();
    } catch (err) {
      throw this.#report('touch', err);
    }
  }

  /** True when this request started a new session (see `reason` for why). */
  isNew(): boolean {
    return this.#isNew;
  }

  /** Why the session is new; `null` when it was restored (or made by `session.new`), `'unbound'` when restored in DBSC additive mode. */
  get reason(): StartReason | null {
    return this.#reason;
  }

  /** When the session was created (ms since epoch): the start of its absolute lifetime. */
  get createdAt(): number {
    return this.#issuedAt;
  }

  /** True once the session exists in the store (a lazily created one: after its first save). */
  isSaved(): boolean {
    return this.#storer !== null;
  }

  /**
   * Writes a changed value now (creating the session in the store if it is
   * new). An unchanged value costs nothing. Rejects with the store's error
   * (also emitted as `error`). Saves run one at a time.
   */
  async save(): Promise<void> {
    while (this.#saving) await this.#saving.catch(noop);
    if (this.#dead || this.#ephemeral) return;
    if (this.#storer !== null && !this.#value.isChanged()) return;
    const p = this.#storer === null ? this.#create() : this.#write(this.#storer);
    this.#saving = p;
    try {
      await p;
    } finally {
      if (this.#saving === p) this.#saving = null;
    }
  }

  /**
   * @internal `save()` done before returning, where the Storer writes
   * synchronously (MemoryProvider): `end` then needs no deferral. `false`
   * when it cannot (nothing was written: use `save()`); throws what `save()`
   * would reject with.
   */
  saveSync(): boolean {
    if (this.#saving !== null) return false;
    if (this.#dead || this.#ephemeral) return true;
    const storer = this.#storer;
    if (storer === null || storer.setValueSync === undefined) return false;
    if (!this.#value.isChanged()) return true;
    let done: boolean;
    try {
      done = storer.setValueSync(this.#untyped());
    } catch (err) {
      // Renewed meanwhile: nothing was written, and the async save redirects it.
      if (errorCode(err) === 'ERR_SESSION_MOVED') return false;
      throw this.#report('save', err);
    }
    if (done) this.#value.markSaved();
    return done;
  }

  /** @internal Whether the response must wait for a save. */
  needsSave(): boolean {
    return !this.#dead && !this.#ephemeral && !this.#discarded && this.#value.isChanged();
  }

  /**
   * @internal The request failed (a handler threw, or the response is a 5xx):
   * its changes are not saved automatically, and a new session it changed is
   * not created (no cookie). What `save()` already wrote stays.
   */
  discard(): void {
    this.#discarded = true;
  }

  /** @internal Called just before the headers go out (wrapped `writeHead`) and at eager points. */
  writeCookie(): void {
    if (!this.#cookiePending || this.#dead || this.#ephemeral) return;
    // Lazy creation: an untouched new session sends no cookie.
    if (this.#storer === null && (this.#discarded || !this.#value.isChanged())) return;
    const res = this.#state.res;
    if (res.headersSent === true) return;
    const { config, codec, attrs } = this.#core;
    const token = codec.seal(this.#sid, this.#issuedAt);
    let maxAge: number | undefined;
    let expires: Date | undefined;
    if (config.cookieExpire > 0) {
      // Re-sent cookies keep the session's absolute deadline, counted from its creation.
      const deadline = this.#issuedAt + config.cookieExpire * 1000;
      maxAge = Math.max(1, Math.ceil((deadline - Date.now()) / 1000));
      expires = new Date(deadline);
    }
    const line = setCookieLine(config.cookieName, token, attrs, maxAge, expires, true);
    putLine(this.#state, config.cookieName, line);
    this.#cookiePending = false;
    this.#cookieWritten = true;
  }

  /** @internal Gives the session a new ID (`session.refresh`). */
  async changeId(): Promise<void> {
    while (this.#saving) await this.#saving.catch(noop);
    const { codec } = this.#core;
    const provider = this.#state.provider;
    if (this.#dead) return;
    // A bound session keeps its binding, and its user's index must follow the new ID.
    if (this.#meta?.userId !== undefined && this.#storer !== null && !this.#ephemeral) return this.bind(this.#meta);
    if (this.#storer !== null && !this.#ephemeral) {
      for (let attempt = 1; ; attempt++) {
        const newSid = codec.newSessionId();
        try {
          this.#storer = await provider.refresh(this.#sid, newSid);
          this.#sid = newSid;
          break;
        } catch (err) {
          if (errorCode(err) === 'ERR_DUPLICATE_ID' && attempt < MAX_ID_ATTEMPTS) continue;
          if (errorCode(err) !== 'ERR_SESSION_NOT_FOUND') throw this.#report('refresh', err);
          // Another request moved (or destroyed) it first: this one goes on from a fresh,
          // empty session, so no two sessions carry copies of the old one.
          this.#value.clean();
          this.#value.markSaved();
          this.#storer = null;
          this.#sid = codec.newSessionId();
          break;
        }
      }
    } else {
      this.#sid = codec.newSessionId();
    }
    // A new ID is a new cookie, and a new absolute lifetime (as the original's Refresh).
    this.#issuedAt = Date.now();
    this.#cookiePending = true;
    this.#cookieWritten = false;
    this.writeCookie();
  }

  /**
   * @internal `session.login`: a new ID bound to `meta.userId` (the data kept,
   * the old ID destroyed), indexed under the user, with its cookie set.
   */
  async bind(meta: SessionMeta, sid?: string): Promise<void> {
    while (this.#saving) await this.#saving.catch(noop);
    const { codec, provider, config } = this.#core;
    // A cookie-carrying provider's per-request view logs in with the request's cookies.
    const users = this.#state.provider.users ?? provider.users;
    if (users === undefined) throw new UnsupportedError(`this provider has no user index (Provider.users): login needs one of the bundled providers, or a provider that implements UserIndex${COOKIE_HINT}`);
    if (this.#dead || this.#ephemeral) throw new HeadersSentError('cannot log in: this session was destroyed or cannot be saved');
    const before = this.#storer !== null ? this.#meta : null;
    const oldSid = this.#sid;
    // The session to move: the stored one; or, for a fresh session whose cookie named an ID not
    // found, that ID (it may have been moved by a concurrent login just before this request's
    // restore: the same user then joins it; else it is gone and the login starts from this session).
    let from = this.#storer !== null ? this.#sid : this.#unknownSid;
    for (let attempt = 1; ; attempt++) {
      const newSid = attempt === 1 && sid !== undefined ? sid : codec.newSessionId();
      try {
        const alias = from !== null ? codec.seal(newSid) : undefined;
        this.#storer = await users.login(from, newSid, this.#untyped(), meta, { indexTtl: config.cookieExpire, alias, grace: config.renewGrace });
        this.#sid = newSid;
        break;
      } catch (err) {
        const code = errorCode(err);
        if (code === 'ERR_DUPLICATE_ID' && attempt < MAX_ID_ATTEMPTS) continue;
        if (from === null || (code !== 'ERR_SESSION_MOVED' && code !== 'ERR_SESSION_NOT_FOUND')) throw this.#report('refresh', err);
        // A concurrent login of this session won the move (two tabs, a double submit).
        const target = code === 'ERR_SESSION_MOVED' ? aliasTarget(this.#core, (err as SessionMovedError).alias) : null;
        if (target !== null && provider.attach !== undefined) {
          // Same user: join the winner's session; this request's own changes are saved into it.
          if (this.#storer === null && this.#value.size === 0 && !this.#value.isChanged()) {
            // A fresh session with nothing of its own: take the winner's data too, unless the winner's
            // session is gone meanwhile (logged out everywhere, expired): then log in fresh, below.
            const joined = await provider.restore(target).catch((e: unknown) => {
              if (errorCode(e) === 'ERR_SESSION_NOT_FOUND') return null;
              throw this.#report('refresh', e);
            });
            if (joined !== null) {
              this.#storer = joined;
              this.#value = joined.getValue() as unknown as Value<D>;
              this.#sid = target;
              break;
            }
          } else {
            this.#storer = provider.attach(target, this.#untyped());
            this.#sid = target;
            break;
          }
        }
        // Gone, or another user's now: log in from a fresh, empty session (never a copy of the old one).
        if (this.#storer !== null) this.#value.clean();
        this.#storer = null;
        from = null;
      }
    }
    this.#meta = meta;
    this.#issuedAt = Date.now();
    this.#cookiePending = true;
    this.#cookieWritten = false;
    this.writeCookie();
    // The same user under a new ID (refresh, re-authentication): its device details and remember-me series follow.
    const hooks = this.#core.userHooks;
    if (before?.userId !== undefined && before.userId === meta.userId && provider.records !== undefined && hooks !== undefined) {
      try {
        await hooks.followId(meta.userId, before.series, users.ref(oldSid), users.ref(this.#sid), this.#sid);
      } catch (err) {
        // The session is bound and indexed; only the listing's details lag. Reported, not thrown.
        this.#report('refresh', err);
      }
    }
  }

  /** @internal The ID to remove from the store on `destroy`, if the store has it. */
  storedId(): string | null {
    return this.#storer !== null && !this.#ephemeral ? this.#sid : null;
  }

  /** @internal Stops all further saves and cookies (destroyed, replaced, or failed). */
  kill(): void {
    this.#dead = true;
  }

  async #create(): Promise<void> {
    const { codec } = this.#core;
    const { provider, res } = this.#state;
    for (let attempt = 1; ; attempt++) {
      if (!this.#cookieWritten && res.headersSent === true) {
        // Creating it now would leave a record no cookie points to.
        throw this.#report('new', new HeadersSentError('a new session was changed after the response headers were sent; it was not saved (change it before writing, or call store.save() first)'));
      }
      try {
        this.#storer = await provider.new(this.#sid, this.#untyped());
        break;
      } catch (err) {
        // Retry with a fresh ID, unless the client already has this one.
        const retry = errorCode(err) === 'ERR_DUPLICATE_ID' && attempt < MAX_ID_ATTEMPTS && !(this.#cookieWritten && res.headersSent === true);
        if (!retry) throw this.#report('new', err);
        this.#sid = codec.newSessionId();
        this.#cookiePending = true;
        this.#cookieWritten = false;
      }
    }
    this.#value.markSaved();
    if (!this.#cookieWritten) {
      this.#cookiePending = true;
      this.writeCookie();
    }
  }

  async #write(storer: Storer): Promise<void> {
    try {
      try {
        await storer.setValue(this.#untyped());
      } catch (err) {
        if (errorCode(err) !== 'ERR_SESSION_MOVED') throw err;
        await this.#redirect(err as SessionMovedError);
      }
    } catch (err) {
      throw this.#report('save', err);
    }
    this.#value.markSaved();
  }

  /** The value as providers see it (their Storers are not typed by the app's data). */
  #untyped(): Value {
    return this.#value as unknown as Value;
  }

  /**
   * The ID was renewed by another request meanwhile: the save (only this
   * request's changes) goes to the new ID, and the client gets its cookie.
   */
  async #redirect(moved: SessionMovedError): Promise<void> {
    const target = aliasTarget(this.#core, moved.alias);
    const attach = this.#core.provider.attach;
    if (target === null || attach === undefined) throw new SessionNotFoundError('session was renewed and its new ID cannot be reached');
    const storer = attach.call(this.#core.provider, target, this.#untyped());
    await storer.setValue(this.#untyped());
    this.#storer = storer;
    this.#sid = target;
    this.#cookiePending = true;
    this.#cookieWritten = false;
    this.writeCookie();
  }

  #report(operation: SessionOperation, err: unknown): SessionError {
    return reportError(this.#core, this.#state.req, operation, err, this.#sid);
  }
}

/** Puts (or replaces) this library's Set-Cookie line for cookie `name` on the response. @internal */
export function putLine(state: RequestState, name: string, line: string): void {
  const lines = (state.lines ??= new Map());
  putSetCookie(state.res, line, lines.get(name));
  lines.set(name, line);
}

function noop(): void {}
