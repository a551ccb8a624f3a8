/**
 * A drop-in for express-session 1.19: change the import, keep the store and
 * every user's session.
 *
 * ```js
 * const session = require('wasm-session/express-session'); // was require('express-session')
 * app.use(session({ secret: process.env.SESSION_SECRET, resave: false, saveUninitialized: false, store }));
 * app.get('/', (req, res) => { req.session.views = (req.session.views ?? 0) + 1; res.send(String(req.session.views)); });
 * ```
 *
 * The same options, defaults, `req.session` and store records as
 * express-session; the cookie is wasm-session's sealed token, and
 * express-session's `s:` cookies are accepted and replaced (`legacyCookies`).
 * See docs/express-session.md.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import { Cookie as CookieClass } from './cookie.js';
import { es5, type Es5 } from './es5.js';
import { session as middleware, type SessionMiddleware, type SessionOptions } from './middleware.js';
import { Session as SessionClass } from './session.js';
import { MemoryStore as MemoryStoreClass, Store as StoreClass } from './store.js';

export type { CookieData, CookieOptions } from './cookie.js';
export type { Callback, SessionOwner } from './session.js';
export type { SessionRecord } from './store.js';
export type { CookieFormat, SessionMiddleware, SessionOptions, SessionStoreLike } from './middleware.js';
export type { Secret } from './secrets.js';
export type { Es5 } from './es5.js';

// The constructors subclass both ways, as express-session's: `class S extends Store`,
// and `Store.call(this)` + `util.inherits(S, Store)` (memorystore, session-file-store, ...).
/** express-session's `Store` base class (an EventEmitter). */
export const Store: Es5<typeof StoreClass> = es5(StoreClass);
export type Store = StoreClass;
/** express-session's in-process `MemoryStore` (development and tests). */
export const MemoryStore: Es5<typeof MemoryStoreClass> = es5(MemoryStoreClass);
export type MemoryStore = MemoryStoreClass;
/** `req.session`. */
export const Session: Es5<typeof SessionClass> = es5(SessionClass);
export type Session = SessionClass;
/** `req.session.cookie`. */
export const Cookie: Es5<typeof CookieClass> = es5(CookieClass);
export type Cookie = CookieClass;

/**
 * The data of a session. Augment it for typed properties, as with express-session:
 *
 * ```ts
 * import session from 'wasm-session/express-session';
 *
 * declare module 'wasm-session/express-session' {
 *   interface SessionData { user: { id: string } }
 * }
 * export const middleware = session({ secret: process.env.SESSION_SECRET! });
 * ```
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface SessionData {
  cookie: Cookie;
}

/** `req.session` with the app's `SessionData`. */
export type SessionWithData = Session & Partial<SessionData>;

/** A request after the middleware ran: what express-session adds to `req`. */
export interface SessionRequest extends IncomingMessage {
  session: SessionWithData;
  sessionID: string;
  sessionStore: Store;
}

/** The factory with its constructors attached, as `require('express-session')` is. */
export type SessionFactory = ((options?: SessionOptions) => SessionMiddleware) & {
  readonly Store: typeof Store;
  readonly MemoryStore: typeof MemoryStore;
  readonly Session: typeof Session;
  readonly Cookie: typeof Cookie;
};

/** `session(options)`: express-session's middleware factory (also the default export). */
export const session: SessionFactory = Object.assign(
  function session(options?: SessionOptions): SessionMiddleware {
    return middleware(options);
  },
  { Store, MemoryStore, Session, Cookie },
);

// The default export is the drop-in: `import session from 'wasm-session/express-session'`.
export default session;
