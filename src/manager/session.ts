import type { StandardSchemaV1 } from '@standard-schema/spec';
import { CorruptRecordError, HeadersSentError, InvalidConfigError, InvalidCookieError, SessionError, SessionNotFoundError } from '../errors.js';
import { createCodec } from '../crypto/index.js';
import { TokenCache } from '../crypto/token-cache.js';
import type { BackendName, Codec, OpenFailure, OpenOptions } from '../crypto/types.js';
import type { MetaStorer, Provider, SessionMeta, Storer } from '../providers/provider.js';
import { resolveConfig, type ResolvedConfig, type SessionConfig } from './config.js';
import { SessionEmitter, type SessionEventName, type SessionListener, type StartReason } from './events.js';
import { cookieValues, setCookieLine, type CookieAttributes, type SessionRequest, type SessionResponse } from './http.js';
import { attributesLength, ManagerRequestCookies } from './request-cookies.js';
import { SessionStore, putLine, type RequestState } from './store.js';
import { errorCode, reportError, sidHint } from './report.js';
import type { BindingCheck, SessionCore, UserHooks } from './core.js';
import { hookResponse } from './response.js';
import { Value, type DefaultSessionData } from './value.js';
import { afterRestore } from './renewal.js';
import type { Opened, SessionHost } from './host.js';

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;
const EPOCH = new Date(0);
const ABSENT = { ok: false, reason: 'absent' } as const;
const NO_OPTIONS = {} as const;
/** Restore options, made once (restore runs on every returning request). */
const TOUCH = { touch: true } as const;
const NO_TOUCH = { touch: false } as const;

type OpenedOk = Extract<Opened, { ok: true }>;

/** Reads a Session's host (set once, by the class's static block: `#host` stays private). */
let hostOfSession: <D extends object>(session: SessionLifecycle<D>) => SessionHost;

/**
 * The host a Session's lifecycle offers the features composed on top of it
 * (the `Session` facade in src/session, for src/users). @internal
 */
export function hostOf<D extends object>(session: SessionLifecycle<D>): SessionHost {
  return hostOfSession(session);
}

/**
 * The session lifecycle: start, restore, save, refresh, destroy, the cookies,
 * events and per-request state. Apps use its subclass `Session` (src/session),
 * which adds the user features (login, remember-me, device listings) on top:
 * this layer imports nothing of them (they reach it through `hostOf` and
 * `SessionCore.userHooks`).
 * @internal
 */
export class SessionLifecycle<D extends object = DefaultSessionData> {
  /** The validated configuration, with defaults filled in. */
  readonly config: ResolvedConfig;
  readonly #core: SessionCore;
  readonly #remember: Codec;
  /** What the features on top (src/users) need of this Session (made once). */
  readonly #host: SessionHost;
  #handles: Codec | null = null;
  /** Session-cookie tokens that verified: a returning client's open is a lookup (see TokenCache). */
  readonly #tokens: TokenCache;
  /** Open options of the session and remember-me cookies, made once (opens run on every request). */
  readonly #sessionOpen: OpenOptions;
  readonly #rememberOpen: OpenOptions;
  readonly #events = new SessionEmitter();
  /**
   * Per-request state lives on the request under this instance's symbol: a
   * WeakMap entry per request costs far more in GC (ephemerons) on the hot path.
   * Frozen requests fall back to the WeakMap.
   */
  readonly #key: symbol = Symbol('wasm-session');
  readonly #states = new WeakMap<SessionRequest, RequestState>();

  static {
    hostOfSession = (session) => session.#host;
  }

  /**
   * Throws `EmptySecretError`, `WeakSecretError` or `InvalidConfigError` for a
   * bad config, `BackendUnavailableError` when the requested backend cannot run.
   */
  constructor(provider: Provider, config: SessionConfig<D>) {
    if (
      provider === null ||
      typeof provider !== 'object' ||
      typeof provider.new !== 'function' ||
      typeof provider.restore !== 'function' ||
      typeof provider.refresh !== 'function' ||
      typeof provider.destroy !== 'function'
    ) {
      throw new InvalidConfigError('provider must implement new, restore, refresh and destroy (see Provider)');
    }
    const c = (this.config = resolveConfig(config));
    const codecBase = { backend: c.backend, ...(c.clockSkewMs === undefined ? {} : { clockSkewMs: c.clockSkewMs }) };
    const codec = createCodec({ ...codecBase, secrets: c.cookieSecret, name: c.cookieName });
    this.#remember = createCodec({ ...codecBase, secrets: c.rememberSecret, name: c.rememberName });
    const attrs: CookieAttributes = { path: c.cookiePath, domain: c.cookieDomain, secure: c.cookieSecure, sameSite: c.cookieSameSite };
    this.#sessionOpen = c.cookieExpire > 0 ? { maxAge: c.cookieExpire } : NO_OPTIONS;
    this.#rememberOpen = c.rememberExpire > 0 ? { maxAge: c.rememberExpire } : NO_OPTIONS;
    this.#core = { config: c, codec, provider, events: this.#events, attrs };
    this.#tokens = new TokenCache(codec, c.clockSkewMs === undefined ? {} : { clockSkewMs: c.clockSkewMs });
    this.#host = {
      core: this.#core,
      remember: this.#remember,
      rememberAttrs: attrs,
      rememberOpen: this.#rememberOpen,
      handles: () => (this.#handles ??= createCodec({ ...codecBase, secrets: c.cookieSecret, name: `${c.cookieName}.handle` })),
      stateFor: (req, res) => this.#stateFor(req, res),
      start: (req, res) => this.#startUntyped(req, res),
      begin: (req, res) => this.#beginUntyped(req, res),
      fresh: (state, reason) => this.#fresh(state, reason),
      open: (req, codec, name, options) => this.#open(req, codec, name, options),
      putLine: (state, name, line) => this.#putLine(state, name, line),
    };
    provider.useDefaults?.({ ttl: c.sessionExpire, lifetime: c.cookieExpire, touchAfter: c.touchAfter });
    // Cookie-carrying providers (CookieProvider) derive their own keys from the secrets.
    provider.useCookies?.({
      secrets: c.cookieSecret,
      cookieName: c.cookieName,
      rememberName: c.rememberName,
      cookieExpire: c.cookieExpire,
      backend: c.backend,
      clockSkewMs: c.clockSkewMs,
      attributesLength: attributesLength(attrs, c.cookieExpire),
    });
    if (config.hooks) {
      for (const name of ['invalid', 'expired', 'unknown', 'unbound', 'error'] as const) {
        const hook = config.hooks[name];
        if (hook !== undefined) {
          if (typeof hook !== 'function') throw new InvalidConfigError(`hooks.${name} must be a function`);
          this.#events.on(name, hook as SessionListener<typeof name>);
        }
      }
    }
  }

  /** The crypto backend in use (`auto` resolved). */
  get backend(): BackendName {
    return this.#core.codec.backend;
  }

  get provider(): Provider {
    return this.#core.provider;
  }

  on<K extends SessionEventName>(event: K, listener: SessionListener<K>): this {
    this.#events.on(event, listener);
    return this;
  }

  off<K extends SessionEventName>(event: K, listener: SessionListener<K>): this {
    this.#events.off(event, listener);
    return this;
  }

  once<K extends SessionEventName>(event: K, listener: SessionListener<K>): this {
    this.#events.once(event, listener);
    return this;
  }

  /**
   * Restores the request's session, or starts a new one (see `store.isNew()`
   * and `store.reason`). Bad cookies never throw. Rejects only when the store
   * fails and `onStoreError` is `fail` (`StoreUnavailableError`: answer 503).
   * Calling it again for the same request returns the same store.
   */
  start(req: SessionRequest, res: SessionResponse): Promise<SessionStore<D>> {
    // Stores are built untyped; D is what the app declared (SessionData) or its schema checks.
    return this.#startUntyped(req, res) as unknown as Promise<SessionStore<D>>;
  }

  #startUntyped(req: SessionRequest, res: SessionResponse): Promise<SessionStore> {
    const started = this.#beginUntyped(req, res);
    return started instanceof SessionStore ? Promise.resolve(started) : started;
  }

  /**
   * @internal `start`, with the store itself when it could be made at once
   * (an in-process provider: `Provider.restoreSync`, or no cookie to restore)
   * rather than a promise of it: the adapters' request hooks then go on
   * without waiting a turn. Never throws: a failure is a rejected promise.
   */
  begin(req: SessionRequest, res: SessionResponse): SessionStore<D> | Promise<SessionStore<D>> {
    return this.#beginUntyped(req, res) as unknown as SessionStore<D> | Promise<SessionStore<D>>;
  }

  #beginUntyped(req: SessionRequest, res: SessionResponse): SessionStore | Promise<SessionStore> {
    const state = this.#stateFor(req, res);
    if (state.store !== null) return state.store;
    if (state.pending !== null) return state.pending;
    let started: SessionStore | Promise<SessionStore>;
    try {
      started = this.#start(state);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (started instanceof SessionStore) {
      state.store = started;
      return started;
    }
    // #settle clears `pending` itself (no .then closures per request); it
    // always awaits first, so `pending` is set before it can settle.
    const pending = this.#settle(state, started);
    state.pending = pending;
    return pending;
  }

  async #settle(state: RequestState, started: Promise<SessionStore>): Promise<SessionStore> {
    try {
      const store = await started;
      state.store = store;
      return store;
    } finally {
      state.pending = null;
    }
  }

  /**
   * Starts a new, empty session for this request whatever its cookie says,
   * created in the store at once and with its cookie set (the original's `New`).
   * A session the request had is left in the store: `destroy` it first to drop it.
   */
  async new(req: SessionRequest, res: SessionResponse): Promise<SessionStore<D>> {
    const state = this.#stateFor(req, res);
    if (state.pending !== null) await state.pending.catch(noop);
    if (res.headersSent === true) throw new HeadersSentError('cannot start a new session: headers already sent');
    state.store?.kill();
    state.store = null;
    state.ignoreCookie = true;
    const store = this.#fresh(state, null);
    await store.save();
    state.store = store;
    return store as unknown as SessionStore<D>;
  }

  /**
   * Gives the request's session a new ID, keeping its data: the old ID is
   * removed from the store and a new cookie is set. Call it when privileges
   * change (login) to defeat session fixation.
   */
  async refresh(req: SessionRequest, res: SessionResponse): Promise<SessionStore<D>> {
    const store = await this.start(req, res);
    if (res.headersSent === true) throw new HeadersSentError('cannot refresh the session: headers already sent');
    await store.changeId();
    return store;
  }

  /**
   * Removes the request's session from the store and expires its cookie.
   * A later `start` in the same request gives a new, empty session.
   */
  async destroy(req: SessionRequest, res: SessionResponse): Promise<void> {
    const state = this.#stateFor(req, res);
    if (state.pending !== null) await state.pending.catch(noop);
    let sid: string | null = null;
    const store = state.store;
    if (store !== null) {
      sid = store.storedId();
      store.kill();
    } else if (!state.ignoreCookie) {
      const opened = this.#open(req, this.#core.codec, this.config.cookieName, this.#sessionOpen);
      if (opened.ok) sid = opened.value;
    }
    state.store = null;
    state.ignoreCookie = true;
    // The cookie first: even if the store fails, the client lets go of the session.
    this.#putLine(state, this.config.cookieName, setCookieLine(this.config.cookieName, '', this.#core.attrs, 0, EPOCH));
    if (sid === null) return;
    try {
      await state.provider.destroy(sid);
    } catch (err) {
      throw this.#report(state, 'destroy', err, sid);
    }
  }

  /** @internal `wasm-session/dbsc` installs its bound-cookie check here (one per Session). */
  useBindingCheck(check: BindingCheck): void {
    if (this.#core.binding !== undefined) throw new InvalidConfigError('a Session takes one binding check (one Dbsc per Session)');
    this.#core.binding = check;
  }

  /** Releases the codecs' key material (WASM memory). The Session is unusable afterwards. */
  dispose(): void {
    this.#tokens.clear();
    this.#core.codec.dispose();
    this.#remember.dispose();
    this.#handles?.dispose();
  }

  /**
   * The request's store: synchronous up to the first store call that is not
   * (an unknown ID's tombstone check, renewal, an async provider), so an
   * in-process provider's returning request waits on no promise.
   */
  #start(state: RequestState): SessionStore | Promise<SessionStore> {
    const { config } = this.#core;
    let reason: StartReason = 'absent';
    if (!state.ignoreCookie) {
      const opened = this.#open(state.req, this.#core.codec, config.cookieName, this.#sessionOpen);
      if (opened.ok && !SESSION_ID.test(opened.value)) {
        this.#emitInvalid(state.req, config.cookieName, 'malformed');
        reason = 'invalid';
      } else if (opened.ok) {
        return this.#restore(state, opened);
      } else {
        reason = opened.reason;
      }
    }
    return this.#freshFor(state, reason);
  }

  #restore(state: RequestState, opened: OpenedOk): SessionStore | Promise<SessionStore> {
    const { config } = this.#core;
    const provider = state.provider;
    const sid = opened.value;
    let storer: Storer | null = null;
    if (provider.restoreSync !== undefined) {
      try {
        storer = provider.restoreSync(sid, config.rolling ? TOUCH : NO_TOUCH);
      } catch (err) {
        return this.#restoreFailed(state, sid, err);
      }
      // Renewal and schema checks may await: the rest goes the async way, with the record as restored.
      if (storer !== null && config.renewAfter === 0 && config.schema === undefined && (storer as Partial<MetaStorer>).alias?.() == null) {
        try {
          return this.#restored(state, opened, storer, sid, (storer as Partial<MetaStorer>).meta?.() ?? null, false);
        } catch (err) {
          return this.#restoreFailed(state, sid, err);
        }
      }
    }
    return this.#restoreAsync(state, opened, storer);
  }

  async #restoreAsync(state: RequestState, opened: OpenedOk, restored: Storer | null): Promise<SessionStore> {
    const { config } = this.#core;
    const sid = opened.value;
    try {
      let storer = restored ?? (await state.provider.restore(sid, config.rolling ? TOUCH : NO_TOUCH));
      let current = sid;
      let meta = (storer as Partial<MetaStorer>).meta?.() ?? null;
      let moved = false;
      // Renewal (renewAfter), or an old ID's alias within its grace: see renewal.ts.
      if (config.renewAfter > 0 || (storer as Partial<MetaStorer>).alias?.() != null) {
        const r = await afterRestore(this.#core, state.req, sid, storer, opened.issuedAt);
        if (r === null) throw new SessionNotFoundError();
        ({ storer, meta, moved } = r);
        current = r.sid;
      }
      if (config.schema !== undefined) await checkRecord(config.schema, storer);
      return this.#restored(state, opened, storer, current, meta, moved);
    } catch (err) {
      return this.#restoreFailed(state, sid, err);
    }
  }

  #restored(state: RequestState, opened: OpenedOk, storer: Storer, sid: string, meta: SessionMeta | null, moved: boolean): SessionStore | Promise<SessionStore> {
    let reason: StartReason | null = null;
    const binding = this.#core.binding;
    if (binding !== undefined && !binding.passes(state.req, storer)) {
      if (this.#events.has('unbound')) this.#events.emit('unbound', { req: state.req, cookieName: this.config.cookieName, sidHint: sidHint(sid), enforced: binding.enforce });
      if (binding.enforce) return this.#freshFor(state, 'unbound');
      reason = 'unbound';
    }
    const store = new SessionStore(this.#core, state, {
      sid,
      issuedAt: opened.issuedAt,
      storer,
      value: storer.getValue(),
      isNew: false,
      reason,
      meta,
      // Opened under an older secret: re-seal under the first one, same issuedAt (rotation completes itself).
      // A new ID (renewed): its cookie, with the same issuedAt (the absolute lifetime is kept).
      cookiePending: opened.keyIndex > 0 || moved,
    });
    if (opened.keyIndex > 0 || moved) store.writeCookie();
    return store;
  }

  /** The restore failed: a new session saying why, or (a store failure under `onStoreError: 'fail'`) a throw. */
  #restoreFailed(state: RequestState, sid: string, err: unknown): SessionStore | Promise<SessionStore> {
    const { config } = this.#core;
    const code = errorCode(err);
    if (code === 'ERR_SESSION_NOT_FOUND') {
      if (this.#events.has('unknown')) this.#events.emit('unknown', { req: state.req, cookieName: config.cookieName, sidHint: sidHint(sid) });
      const hooks = this.#core.userHooks;
      if (this.#core.provider.users?.revoked === undefined || hooks === undefined) return this.#freshFor(state, 'unknown', sid);
      return this.#afterUnknown(state, sid, hooks);
    }
    if (code === 'ERR_INVALID_COOKIE') {
      // A cookie-carrying provider's cookies did not open (tampered, missing or mixed chunks).
      const e = err as InvalidCookieError;
      this.#emitInvalid(state.req, e.cookieName, e.failure);
      return this.#freshFor(state, 'invalid');
    }
    if (code === 'ERR_CORRUPT_RECORD') {
      // A new ID for the client; the record stays for inspection; the app hears of it.
      this.#report(state, 'restore', err, sid);
      return this.#freshFor(state, 'corrupt');
    }
    const error = this.#report(state, 'restore', err, sid);
    if (config.onStoreError === 'fail') throw error;
    return this.#fresh(state, 'store-error', true);
  }

  async #afterUnknown(state: RequestState, sid: string, hooks: UserHooks): Promise<SessionStore> {
    const reason = await hooks.missingReason(sid);
    return this.#freshFor(state, reason, reason === 'unknown' ? sid : undefined);
  }

  /** A new session for `reason`, saved at once under `saveUninitialized`; `unknown`: the ID the cookie named (see StoreInit.unknownSid). */
  #freshFor(state: RequestState, reason: StartReason, unknown?: string): SessionStore | Promise<SessionStore> {
    const store = this.#fresh(state, reason, false, unknown);
    return this.#core.config.saveUninitialized ? this.#saveUninitialized(state, store) : store;
  }

  async #saveUninitialized(state: RequestState, store: SessionStore): Promise<SessionStore> {
    try {
      await store.save();
    } catch (err) {
      // save() has emitted the error already.
      if (this.#core.config.onStoreError === 'fail') throw err;
      store.kill();
      return this.#fresh(state, 'store-error', true);
    }
    return store;
  }

  #fresh(state: RequestState, reason: StartReason | null, ephemeral = false, unknownSid?: string): SessionStore {
    return new SessionStore(this.#core, state, {
      unknownSid,
      sid: this.#core.codec.newSessionId(),
      issuedAt: Date.now(),
      storer: null,
      value: new Value(),
      isNew: true,
      reason,
      cookiePending: true,
      ephemeral,
    });
  }

  /** Opens the request's cookie(s) of `name`; with several, the first that opens wins. Emits invalid/expired. */
  #open(req: SessionRequest, codec: Codec, name: string, options: OpenOptions): Opened {
    const values = cookieValues(req.headers.cookie, name);
    if (values.length === 0) return ABSENT;
    let failure: OpenFailure | undefined;
    for (const token of values) {
      const r = codec === this.#core.codec ? this.#tokens.openText(token, options) : codec.openText(token, options);
      if (r.ok) return r;
      // `expired` says more than `invalid` when duplicates disagree.
      if (failure === undefined || r.reason === 'expired') failure = r.reason;
    }
    if (failure === 'expired') {
      if (this.#events.has('expired')) this.#events.emit('expired', { req, cookieName: name });
      return { ok: false, reason: 'expired' };
    }
    this.#emitInvalid(req, name, failure ?? 'malformed');
    return { ok: false, reason: 'invalid' };
  }

  #emitInvalid(req: SessionRequest, cookieName: string, failure: OpenFailure): void {
    if (failure === 'expired' || !this.#events.has('invalid')) return;
    this.#events.emit('invalid', { req, cookieName, failure });
  }

  #report(state: RequestState, operation: 'restore' | 'destroy', err: unknown, sid: string): SessionError {
    return reportError(this.#core, state.req, operation, err, sid);
  }

  #putLine(state: RequestState, name: string, line: string): void {
    if (state.res.headersSent === true) return;
    putLine(state, name, line);
  }

  #stateFor(req: SessionRequest, res: SessionResponse): RequestState {
    const slot = req as unknown as Record<symbol, RequestState | undefined>;
    let state = slot[this.#key] ?? this.#states.get(req);
    if (state === undefined) {
      const provider = this.#core.provider;
      // A cookie-carrying provider gets a view bound to this request's cookies (and their lines, made now).
      let lines: Map<string, string> | null = null;
      let bound = provider;
      if (provider.forRequest !== undefined) {
        lines = new Map();
        bound = provider.forRequest(new ManagerRequestCookies(req, res, lines, this.#core.attrs));
      }
      state = { req, res, provider: bound, store: null, pending: null, lines, ignoreCookie: false, ending: false };
      if (Object.isExtensible(req)) slot[this.#key] = state;
      else this.#states.set(req, state);
      hookResponse(state, this.#core);
    }
    return state;
  }
}

/**
 * Checks a restored record against the Session's schema; a record that fails
 * is corrupt for this app (CorruptRecordError: a new session, record left alone).
 */
async function checkRecord(schema: StandardSchemaV1, storer: Storer): Promise<void> {
  let result = schema['~standard'].validate(storer.getValue().toJSON());
  if (result instanceof Promise) result = await result;
  if (result.issues === undefined) return;
  const first = result.issues[0];
  const path = first?.path?.map((p) => String(typeof p === 'object' ? p.key : p)).join('.') ?? '';
  throw new CorruptRecordError(
    `session record does not match the schema${path ? ` at ${path}` : ''}: ${first?.message ?? 'invalid'} (${result.issues.length} issue${result.issues.length === 1 ? '' : 's'})`,
  );
}

function noop(): void {}

