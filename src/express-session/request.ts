/**
 * One request under the express-session drop-in: its state, express-session's
 * save/touch/cookie rules, and the writeHead/end hooks (split from
 * middleware.ts, which keeps the options and the factory).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Codec } from '../crypto/types.js';
import { serializeData } from './cookie.js';
import { dotSealed, sign, type CookieTarget } from './cookie-value.js';
import type { Secret } from './secrets.js';
import { Session, createSession, type Callback, type RequestContext, type SessionOwner } from './session.js';
import type { StoreAccess } from './store-access.js';
import type { SessionRecord } from './store.js';

/** The request as the middleware sees it (`node:http` plus what Express adds). */
export type Req = IncomingMessage &
  SessionOwner & {
    originalUrl?: string;
    secure?: boolean;
    secret?: string;
    sessionID?: string | undefined;
    session?: Session | null | undefined;
  };

export type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

const defer = setImmediate;

/** What every request of one middleware shares. */
export interface Shared {
  readonly name: string;
  /** Write express-session's `s:` cookie (`cookieFormat: 'signed'`) instead of a sealed token. */
  readonly signed: boolean;
  /** A failed save/destroy holds the app's response back and goes to next(err) (`holdOnStoreError`). */
  readonly hold: boolean;
  readonly resave: boolean;
  readonly saveUninitialized: boolean;
  readonly rolling: boolean;
  readonly unsetDestroy: boolean;
  readonly trustProxy: boolean | undefined;
  readonly storeImplementsTouch: boolean;
  generateFor(req: Req, codec: Codec): Session;
  readonly store: StoreAccess;
}

/**
 * One request's session bookkeeping: express-session's closure variables
 * (originalId, originalHash, savedHash, touched) and its shouldSave /
 * shouldTouch / shouldSetCookie rules. Also the context the Session methods call.
 */
export class RequestState implements RequestContext, CookieTarget {
  // `declare` + assignments in the constructor: one hidden class, no class-field defines.
  declare readonly m: Shared;
  declare readonly req: Req;
  declare readonly res: ServerResponse;
  declare readonly next: (err?: unknown) => void;
  declare readonly codec: Codec;
  /** The secret that signs `s:` cookies (`cookieFormat: 'signed'`): the first of the list. */
  declare readonly secret: Secret;
  declare readonly writeHeadOrig: AnyFn;
  declare readonly endOrig: AnyFn;
  /** The session ID the request's cookie carried. */
  declare cookieId: string | undefined;
  /** That cookie's token, when it opened under the current secret: sent back as it is while the ID stays. */
  declare cookieToken: string | undefined;
  /** The response must carry a (new) sealed cookie even if nothing changed: a legacy or rotated cookie. */
  declare replaceCookie: boolean;
  declare originalHash: string | undefined;
  declare originalId: string | undefined;
  declare savedHash: string | undefined;
  declare touched: boolean;
  /** A save/destroy failed before the headers with `holdOnStoreError`: no cookie, the error went to next(). */
  declare failed: boolean;
  declare headersFired: boolean;
  declare ended: boolean;
  /** The response has been ended (or handed to the error handler): `end` calls go straight through. */
  declare passThrough: boolean;
  declare endArgs: unknown[] | undefined;
  declare memo: string | undefined;
  declare memoFor: Session | undefined;

  constructor(m: Shared, req: Req, res: ServerResponse, next: (err?: unknown) => void, codec: Codec, secret: Secret, writeHeadOrig: AnyFn, endOrig: AnyFn) {
    this.m = m;
    this.req = req;
    this.res = res;
    this.next = next;
    this.codec = codec;
    this.secret = secret;
    this.writeHeadOrig = writeHeadOrig;
    this.endOrig = endOrig;
    this.cookieId = undefined;
    this.cookieToken = undefined;
    this.replaceCookie = false;
    this.originalHash = undefined;
    this.originalId = undefined;
    this.savedHash = undefined;
    this.touched = false;
    this.failed = false;
    this.headersFired = false;
    this.ended = false;
    this.passThrough = false;
    this.endArgs = undefined;
    this.memo = undefined;
    this.memoFor = undefined;
  }

  generated(): void {
    const s = this.m.generateFor(this.req, this.codec);
    // s.id is req.sessionID, read off the session: each read of req costs (see `contexts`).
    this.originalId = s.id;
    this.originalHash = hash(s);
  }

  loaded(err: unknown, sess: SessionRecord | null | undefined): void {
    if (err && (err as { code?: unknown }).code !== 'ENOENT') {
      this.next(err);
      return;
    }
    try {
      if (err || !sess) {
        this.generated();
      } else {
        const s = createSession(this.req, sess);
        this.originalId = s.id;
        this.originalHash = hash(s);
        if (!this.m.resave) this.savedHash = this.originalHash;
      }
    } catch (e) {
      this.next(e);
      return;
    }
    this.next();
  }

  isModified(sess: Session): boolean {
    return this.originalId !== sess.id || this.originalHash !== this.hashOf(sess);
  }

  isSaved(sess: Session): boolean {
    return this.originalId === sess.id && this.savedHash === this.hashOf(sess);
  }

  /**
   * `hash(sess)`, reused while `end` runs synchronously (shouldSave, the save,
   * then shouldSetCookie in writeHead): no app code can change the session in between.
   */
  hashOf(sess: Session): string {
    if (this.memo !== undefined && this.memoFor === sess) return this.memo;
    return hash(sess);
  }

  shouldDestroy(): boolean {
    return Boolean(this.req.sessionID) && this.m.unsetDestroy && this.req.session == null;
  }

  shouldSave(): boolean {
    const req = this.req;
    // cannot set cookie without a session ID
    if (typeof req.sessionID !== 'string') return false;
    const sess = req.session as Session;
    return !this.m.saveUninitialized && !this.savedHash && this.cookieId !== req.sessionID ? this.isModified(sess) : !this.isSaved(sess);
  }

  shouldTouch(): boolean {
    return typeof this.req.sessionID === 'string' && this.cookieId === this.req.sessionID && !this.shouldSave();
  }

  shouldSetCookie(): boolean {
    const req = this.req;
    if (typeof req.sessionID !== 'string') return false;
    const sess = req.session as Session;
    if (this.cookieId !== req.sessionID) return this.m.saveUninitialized || this.isModified(sess);
    return this.replaceCookie || this.m.rolling || (sess.cookie.expires != null && this.isModified(sess));
  }

  /** Set-Cookie just before the headers go out (on-headers' job in express-session). */
  onHeaders(): void {
    if (this.failed) return;
    const req = this.req;
    const sess = req.session;
    if (!sess) return;
    if (!this.shouldSetCookie()) return;
    // only send secure cookies via https
    if (sess.cookie.secure && !issecure(req, this.m.trustProxy)) return;
    if (!this.touched) {
      sess.touch();
      this.touched = true;
    }
    try {
      const sid = req.sessionID as string;
      // The cookie the browser sent, when it still names this session under the current secret: the same
      // ID sealed again would be just as valid (express-session re-sends its same signed value too).
      const signed = this.m.signed;
      const token =
        this.cookieToken !== undefined && sid === this.cookieId ? this.cookieToken : signed ? 's:' + sign(sid, this.secret) : dotSealed(this.codec.seal(sid));
      // The signed cookie is URI-encoded as express-session's; a sealed token is base64url already.
      const line = serializeData(this.m.name, token, sess.cookie.data, signed);
      const res = this.res;
      const prev = res.getHeader('Set-Cookie');
      res.setHeader('Set-Cookie', prev === undefined ? [line] : Array.isArray(prev) ? [...(prev as string[]), line] : [String(prev), line]);
    } catch (err) {
      defer(this.next, err);
    }
  }

  writeHead(res: ServerResponse, args: unknown[]): unknown {
    const orig = this.writeHeadOrig;
    if (this.headersFired) return orig.apply(res, args);
    this.headersFired = true;
    // Headers given to writeHead are set first, so the app's own Set-Cookie and ours both go out.
    const headerIndex = args.length > 1 && typeof args[1] === 'string' ? 2 : 1;
    const headers = args.length > headerIndex ? args[headerIndex] : undefined;
    // No `res.statusCode = args[0]` first (on-headers does it for its listeners): the original writeHead
    // sets it, nothing here reads it, and every store to res costs (see `contexts`).
    if (headers !== undefined && headers !== null) applyHeaders(res, headers);
    this.onHeaders();
    return orig.apply(res, args.length > headerIndex ? args.slice(0, headerIndex) : args);
  }

  /** Saves (or destroys, or touches) before the response ends, so a failed save never goes out as a success. */
  end(res: ServerResponse, args: unknown[]): unknown {
    if (this.passThrough) return this.endOrig.apply(res, args);
    if (this.ended) return res;
    this.ended = true;
    this.endArgs = args;
    const m = this.m;
    const req = this.req;
    if (this.shouldDestroy()) {
      m.store.call('destroy', req.sessionID as string, undefined, (err) => this.after(true, err));
      return res;
    }
    const sess = req.session;
    if (!sess) return this.finish();
    if (!this.touched) {
      sess.touch();
      this.touched = true;
    }
    this.memo = hash(sess);
    this.memoFor = sess;
    if (this.shouldSave()) {
      this.savedHash = this.memo;
      // Our MemoryStore: synchronous, no callback to allocate.
      let done: boolean;
      try {
        done = m.store.setSync(req.sessionID as string, sess);
      } catch (err) {
        this.memo = undefined;
        this.after(true, err);
        return res;
      }
      if (done) return this.finish();
      // The store answers later: app code may run meanwhile.
      this.memo = undefined;
      m.store.call('set', req.sessionID as string, sess, (err) => this.after(true, err));
      return res;
    }
    if (m.storeImplementsTouch && this.shouldTouch()) {
      this.memo = undefined;
      m.store.call('touch', req.sessionID as string, sess, (err) => this.after(false, err));
      return res;
    }
    return this.finish();
  }

  finish(): unknown {
    // No `res.end = endOrig`: a store to res costs as much as an add (see `contexts`); the hook passes through.
    this.passThrough = true;
    try {
      return this.endOrig.apply(this.res, this.endArgs as unknown[]);
    } finally {
      this.memo = undefined;
    }
  }

  after(fatal: boolean, err: unknown): void {
    if (err === undefined || err === null) {
      this.finish();
      return;
    }
    if (!fatal || !this.m.hold || this.res.headersSent) {
      // express-session's behaviour: the response goes out as the app wrote it, then next(err).
      this.finish();
      defer(this.next, err);
      return;
    }
    this.failed = true;
    this.passThrough = true;
    this.next(err);
  }

  // RequestContext: what the Session methods call.
  set(sess: Session, fn: Callback): void {
    this.m.store.call('set', sess.id, sess, this.m.store.later(fn));
  }
  get(sid: string, fn: (err: unknown, sess?: Record<string, unknown> | null) => void): void {
    const later = this.m.store.later;
    this.m.store.get(sid, (err, sess) => later(() => fn(err, sess))());
  }
  destroy(sid: string, fn: Callback): void {
    this.m.store.call('destroy', sid, undefined, this.m.store.later(fn));
  }
  onSave(sess: Session): void {
    this.savedHash = hash(sess);
  }
  onReload(): void {}
  regenerate(fn: Callback): void {
    this.destroy(this.req.sessionID as string, (err) => {
      // Like express-session's store.generate: originalId stays, so the new session counts as modified.
      this.m.generateFor(this.req, this.codec);
      fn(err);
    });
  }
}

/** The session's data as JSON, without its cookie: what "modified" compares. */
function hash(sess: Session): string {
  const { cookie: _cookie, ...data } = sess;
  return JSON.stringify(data);
}

export function issecure(req: Req, trustProxy: boolean | undefined): boolean {
  // socket is https server
  if ((req.socket as { encrypted?: boolean } | undefined)?.encrypted) return true;
  // do not trust proxy
  if (trustProxy === false) return false;
  // no explicit trust; try req.secure from express
  if (trustProxy !== true) return req.secure === true;
  // read the proto from x-forwarded-proto header
  const h = req.headers['x-forwarded-proto'];
  const header = (Array.isArray(h) ? h[0] : h) ?? '';
  const index = header.indexOf(',');
  const proto = index !== -1 ? header.slice(0, index).toLowerCase().trim() : header.toLowerCase().trim();
  return proto === 'https';
}

function applyHeaders(res: ServerResponse, headers: unknown): void {
  if (Array.isArray(headers)) {
    // Raw lists may repeat a name (several Set-Cookie): the first replaces, the rest append, as writeHead would.
    const seen = new Set<string>();
    const put = (key: unknown, value: unknown): void => {
      const k = String(key).toLowerCase();
      if (seen.has(k)) res.appendHeader(k, value as string);
      else res.setHeader(k, value as string);
      seen.add(k);
    };
    if (headers.length > 0 && Array.isArray(headers[0])) {
      for (const pair of headers as unknown[][]) put(pair[0], pair[1]);
    } else {
      // A flat list of raw headers: name, value, name, value...
      for (let i = 0; i + 1 < headers.length; i += 2) put(headers[i], headers[i + 1]);
    }
    return;
  }
  if (typeof headers === 'object') {
    for (const key of Object.keys(headers as object)) {
      const v = (headers as Record<string, unknown>)[key];
      if (v !== undefined) res.setHeader(key, v as string);
    }
  }
}
