import { Cookie, type CookieOptions } from './cookie.js';

/** Node-style callback. */
export type Callback = (err?: unknown) => void;

/**
 * What the middleware keeps per request (in `contexts`, keyed by `req`), so the
 * Session methods can tell it about saves and reloads. @internal
 */
export interface RequestContext {
  set(sess: Session, fn: Callback): void;
  get(sid: string, fn: (err: unknown, sess?: Record<string, unknown> | null) => void): void;
  destroy(sid: string, fn: Callback): void;
  onSave(sess: Session): void;
  onReload(): void;
  regenerate(fn: Callback): void;
}

/**
 * @internal The request contexts, keyed by `req`. A WeakMap rather than a
 * property on `req`: after Express swaps a request's prototype, every property
 * added to it makes a new hidden class (a slow, uncached map copy per request,
 * and megamorphic property access in Node's code after it).
 */
export const contexts = new WeakMap<SessionOwner, RequestContext>();

/** The request as a Session sees it. */
export interface SessionOwner {
  sessionID?: string | undefined;
  session?: Session | null | undefined;
  sessionStore?: unknown;
}

/**
 * `req.session`: the session's data as plain properties (`req.session.user = u`,
 * `delete`, `Object.keys`, `for…in`), plus `id`, `cookie` and the methods
 * (not enumerable, as in express-session).
 */
export class Session {
  declare readonly id: string;
  declare readonly req: SessionOwner;
  declare cookie: Cookie;
  [key: string]: unknown;

  constructor(req: SessionOwner, data?: Record<string, unknown> | null) {
    Object.defineProperty(this, 'req', { value: req });
    Object.defineProperty(this, 'id', { value: req.sessionID });
    if (typeof data === 'object' && data !== null) {
      // Merge data in, ignoring names the prototype has (methods).
      for (const prop in data) {
        if (!(prop in this)) this[prop] = data[prop];
      }
    }
  }

  /** Resets `cookie.maxAge` to its original value (the middleware does it once per request). */
  touch(): this {
    return this.resetMaxAge();
  }

  resetMaxAge(): this {
    this.cookie.maxAge = this.cookie.originalMaxAge;
    return this;
  }

  /** Saves the session to the store now (the middleware also saves at the end of the response when needed). */
  save(fn?: Callback): this {
    const ctx = contexts.get(this.req);
    if (ctx !== undefined) {
      ctx.onSave(this);
      ctx.set(this, fn ?? noop);
    } else {
      storeOf(this).set(this.id, this, fn ?? noop);
    }
    return this;
  }

  /** Reloads the session's data from the store (`req.session` is replaced). */
  reload(fn: Callback): this {
    const req = this.req;
    const ctx = contexts.get(req);
    const done = (err: unknown, sess?: Record<string, unknown> | null): void => {
      if (err) return fn(err);
      if (!sess) return fn(new Error('failed to load session'));
      createSession(req, sess);
      ctx?.onReload();
      fn();
    };
    if (ctx !== undefined) ctx.get(this.id, done);
    else storeOf(this).get(this.id, done);
    return this;
  }

  /** Destroys the session in the store and removes `req.session`. */
  destroy(fn?: Callback): this {
    delete this.req.session;
    const ctx = contexts.get(this.req);
    if (ctx !== undefined) ctx.destroy(this.id, fn ?? noop);
    else storeOf(this).destroy(this.id, fn ?? noop);
    return this;
  }

  /** Destroys this session and puts a new, empty one with a new ID on `req.session` (call it at login). */
  regenerate(fn: Callback): this {
    const ctx = contexts.get(this.req);
    if (ctx !== undefined) ctx.regenerate(fn);
    else (this.req.sessionStore as { regenerate(req: unknown, fn: Callback): void }).regenerate(this.req, fn);
    return this;
  }
}

for (const name of ['touch', 'resetMaxAge', 'save', 'reload', 'destroy', 'regenerate'] as const) {
  Object.defineProperty(Session.prototype, name, { enumerable: false });
}

interface CallbackStore {
  get(sid: string, fn: (err: unknown, sess?: Record<string, unknown> | null) => void): void;
  set(sid: string, sess: object, fn: Callback): void;
  destroy(sid: string, fn: Callback): void;
}

function storeOf(sess: Session): CallbackStore {
  return sess.req.sessionStore as CallbackStore;
}

/** A store record (`{ cookie, ...data }`) made into `req.session`, as express-session's `Store#createSession`. */
export function createSession(req: SessionOwner, sess: Record<string, unknown>): Session {
  // A record without `cookie` is an error here, as in express-session (its inflate throws).
  const raw = sess.cookie as CookieOptions & { expires?: unknown };
  const expires = raw.expires;
  const originalMaxAge = raw.originalMaxAge;
  const cookie = new Cookie(raw as CookieOptions);
  if (typeof expires === 'string') cookie.expires = new Date(expires);
  // keep originalMaxAge intact
  cookie.originalMaxAge = originalMaxAge;
  sess.cookie = cookie;
  const session = new Session(req, sess);
  req.session = session;
  return session;
}

function noop(): void {}
