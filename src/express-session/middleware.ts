import type { IncomingMessage, ServerResponse } from 'node:http';
import { createCodec } from '../crypto/index.js';
import { TokenCache } from '../crypto/token-cache.js';
import type { BackendChoice, Codec } from '../crypto/types.js';
import { checkTimeout } from '../providers/deadline.js';
import { Cookie, type CookieOptions } from './cookie.js';
import { dottedOpener, readCookie, type CookieFormat, type CookieReader } from './cookie-value.js';
import { RequestState, issecure, type AnyFn, type Req, type Shared } from './request.js';
import { codecSecrets, type Secret } from './secrets.js';
import { Session, contexts, type SessionOwner } from './session.js';
import { storeAccess, type SessionStoreLike } from './store-access.js';
import { MemoryStore } from './store.js';

export type { SessionStoreLike } from './store-access.js';
export type { CookieFormat } from './cookie-value.js';

/** express-session 1.19's options, plus `legacyCookies`, `timeout`, `backend`, `cookieFormat` and `holdOnStoreError`. */
export interface SessionOptions {
  /** Secret(s): the first seals new cookies, all open (rotation). Any length is accepted (short ones warn once). */
  secret?: Secret | Secret[] | undefined;
  /** Cookie name. Default `connect.sid`. */
  name?: string | undefined;
  /** @deprecated express-session's old name for `name`. */
  key?: string | undefined;
  /** Default: a new `MemoryStore`. */
  store?: SessionStoreLike | undefined;
  /** New session IDs; default 128 random bits as 22 base64url characters. */
  genid?: ((req: IncomingMessage) => string) | undefined;
  /** Trust `X-Forwarded-Proto` (true), never (false), or Express's `req.secure` (undefined). */
  proxy?: boolean | undefined;
  /** Save unmodified sessions back to the store. Default true (with a deprecation warning, as express-session). */
  resave?: boolean | undefined;
  /** Save new, unmodified sessions. Default true (with a deprecation warning). */
  saveUninitialized?: boolean | undefined;
  /** Send the cookie (and reset its expiry) on every response. Default false. */
  rolling?: boolean | undefined;
  /** What `req.session = null` (or `delete req.session`) does: `keep` (default) or `destroy` the stored session. */
  unset?: 'keep' | 'destroy' | undefined;
  cookie?: CookieOptions | ((req: IncomingMessage) => CookieOptions) | undefined;
  /**
   * Accept express-session's `s:`-signed cookies (signed with one of `secret`)
   * and replace them with sealed ones. Default true; turn it off once every
   * old cookie has expired (after `cookie.maxAge` has passed since the switch).
   */
  legacyCookies?: boolean | undefined;
  /** Bound on each store call, ms; a store that does not answer in time is an error. Default 2000; 0 = none. */
  timeout?: number | undefined;
  /** Crypto backend of the cookie seal. Default `auto`. */
  backend?: BackendChoice | undefined;
  /**
   * `sealed` (default): wasm-session's sealed token. `signed`: express-session's
   * exact `s:<id>.<HMAC>` cookie (the ID readable, as with express-session), so
   * the app can go back to express-session without logging anyone out. Both
   * formats are read in either mode; a cookie in the other format is replaced.
   */
  cookieFormat?: CookieFormat | undefined;
  /**
   * A failed store `set`/`destroy` before the headers holds the app's response
   * back (no cookie) and goes to `next(err)`, so the client never sees a success
   * that was not saved. Default false: express-session's behaviour (the response
   * goes out, then `next(err)`).
   */
  holdOnStoreError?: boolean | undefined;
}

/** Connect/Express middleware. */
export type SessionMiddleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

const warned = new Set<string>();
function deprecate(message: string): void {
  if (warned.has(message)) return;
  warned.add(message);
  process.emitWarning(`express-session deprecated ${message}`, 'DeprecationWarning');
}

/**
 * express-session's middleware, with a sealed cookie. See docs/express-session.md.
 */
export function session(options?: SessionOptions): SessionMiddleware {
  const opts = options ?? {};
  const cookieOptions = opts.cookie ?? {};
  const generateId = opts.genid;
  const name = opts.name || opts.key || 'connect.sid';
  const store: SessionStoreLike = opts.store ?? new MemoryStore();
  const trustProxy = opts.proxy;
  let resaveSession = opts.resave;
  const rollingSessions = Boolean(opts.rolling);
  let saveUninitializedSession = opts.saveUninitialized;
  const secretOption = opts.secret;
  const timeout = checkTimeout(opts.timeout);
  const legacy = opts.legacyCookies !== false;
  const backend = opts.backend ?? 'auto';
  const format = opts.cookieFormat ?? 'sealed';
  if (format !== 'sealed' && format !== 'signed') throw new TypeError('cookieFormat option must be "sealed" or "signed"');
  const signed = format === 'signed';

  if (generateId !== undefined && typeof generateId !== 'function') throw new TypeError('genid option must be a function');
  if (resaveSession === undefined) {
    deprecate('undefined resave option; provide resave option');
    resaveSession = true;
  }
  if (saveUninitializedSession === undefined) {
    deprecate('undefined saveUninitialized option; provide saveUninitialized option');
    saveUninitializedSession = true;
  }
  const resave = resaveSession;
  const saveUninitialized = saveUninitializedSession;
  if (opts.unset && opts.unset !== 'destroy' && opts.unset !== 'keep') throw new TypeError('unset option must be "destroy" or "keep"');
  const unsetDestroy = opts.unset === 'destroy';
  if (Array.isArray(secretOption) && secretOption.length === 0) throw new TypeError('secret option array must contain one or more strings');
  const secrets: Secret[] | null = secretOption ? (Array.isArray(secretOption) ? secretOption : [secretOption]) : null;
  if (!secrets) deprecate('req.secret; provide secret option');

  if (process.env.NODE_ENV === 'production' && store instanceof MemoryStore) {
    console.warn(
      'Warning: connect.session() MemoryStore is not\ndesigned for a production environment, as it will leak\nmemory, and will not scale past a single process.',
    );
  }

  // A codec and its cache of cookies that verified before (they open with a lookup: see TokenCache).
  const keysOf = (list: Secret[]): Keys => {
    const codec = createCodec({ secrets: codecSecrets(list), name, backend });
    // The cache is keyed by the cookie as sent (dotted): a returning cookie opens without being rebuilt.
    return { codec, reader: { name, opener: new TokenCache(dottedOpener(codec)), plain: codec, signed, legacy, verified: new Map() } };
  };
  const mainKeys: Keys | null = secrets ? keysOf(secrets) : null;
  // Without a `secret` option, express-session signs with cookie-parser's req.secret: keys per such secret.
  const perSecret = new Map<string, Keys>();
  const keysFor = (secret: string): Keys => {
    let k = perSecret.get(secret);
    if (k === undefined) perSecret.set(secret, (k = keysOf([secret])));
    return k;
  };

  const resolveCookie = (req: Req): CookieOptions => (typeof cookieOptions === 'function' ? cookieOptions(req) : cookieOptions);

  /** A new session on `req` (express-session's `store.generate`). */
  const generateFor = (req: Req, codec: Codec): Session => {
    req.sessionID = generateId ? generateId(req) : codec.newSessionId();
    const sess = new Session(req);
    req.session = sess;
    const co = resolveCookie(req);
    sess.cookie = new Cookie(co);
    const isSecure = issecure(req, trustProxy);
    if (co.secure === 'auto') sess.cookie.secure = isSecure;
    if (co.sameSite === 'auto') sess.cookie.sameSite = isSecure ? 'none' : 'lax';
    return sess;
  };
  store.generate = (req: SessionOwner): void => {
    const r = req as Req;
    generateFor(r, (mainKeys ?? keysFor(r.secret ?? '')).codec);
  };

  const storeImplementsTouch = typeof store.touch === 'function';

  let storeReady = true;
  if (typeof store.on === 'function') {
    store.on('disconnect', () => {
      storeReady = false;
    });
    store.on('connect', () => {
      storeReady = true;
    });
  }

  const shared: Shared = {
    name,
    signed,
    hold: opts.holdOnStoreError === true,
    resave,
    saveUninitialized,
    rolling: rollingSessions,
    unsetDestroy,
    trustProxy,
    storeImplementsTouch,
    generateFor,
    store: storeAccess(store, timeout),
  };

  return function sessionMiddleware(request: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void): void {
    const req = request as Req;
    // self-awareness
    if (req.session) {
      next();
      return;
    }
    // Handle the request as if there were no session while the store is disconnected.
    if (!storeReady) {
      next();
      return;
    }
    const originalPath = pathname(req.originalUrl ?? req.url ?? '/');
    const resolvedCookieOptions = resolveCookie(req);
    if (originalPath.indexOf(resolvedCookieOptions.path || '/') !== 0) {
      next();
      return;
    }
    if (!secrets && !req.secret) {
      next(new Error('secret option required for sessions'));
      return;
    }
    const reqSecrets: Secret[] = secrets ?? [req.secret as string];
    const keys = mainKeys ?? keysFor(req.secret as string);
    const codec = keys.codec;

    const state = new RequestState(shared, req, res, next, codec, reqSecrets[0] as Secret, res.writeHead as unknown as AnyFn, res.end as unknown as AnyFn);
    readCookie(state, req, keys.reader, reqSecrets);
    // Under Express every property added to req or res costs a new hidden class
    // (see `contexts`): only the ones express-session's API has (sessionStore,
    // sessionID, session; writeHead, end), the hooks as closures over the state.
    req.sessionStore = store;
    req.sessionID = state.cookieId;
    contexts.set(req, state);
    res.writeHead = function writeHead(this: ServerResponse, ...args: unknown[]): unknown {
      return state.writeHead(this, args);
    } as unknown as ServerResponse['writeHead'];
    res.end = function end(this: ServerResponse, ...args: unknown[]): unknown {
      return state.end(this, args);
    } as unknown as ServerResponse['end'];

    // generate a session if the browser doesn't send a sessionID
    if (!req.sessionID) {
      state.generated();
      next();
      return;
    }
    shared.store.get(req.sessionID, (err, sess) => state.loaded(err, sess));
  };
}

/** A codec for one secret list, with its verified-token cache. */
interface Keys {
  readonly codec: Codec;
  readonly reader: CookieReader;
}

function pathname(url: string): string {
  const q = url.indexOf('?');
  const p = q < 0 ? url : url.slice(0, q);
  if (p.startsWith('/')) return p;
  try {
    return new URL(p).pathname;
  } catch {
    return '/';
  }
}

