import { EventEmitter } from 'node:events';
import { createSession, type Callback, type Session, type SessionOwner } from './session.js';

/** A store record: `{ cookie: { originalMaxAge, expires, ... }, ...data }`. */
export type SessionRecord = Record<string, unknown> & { cookie?: Record<string, unknown> };

/**
 * express-session's `Store` base class: stores extend it and implement `get`,
 * `set`, `destroy` (and optionally `touch`, `all`, `length`, `clear`). It is
 * an EventEmitter: `disconnect` makes the middleware serve requests without a
 * session until `connect`.
 */
export class Store extends EventEmitter {
  /** Set by the middleware: puts a new session on `req`. */
  generate?: (req: SessionOwner) => void;

  regenerate(req: SessionOwner, fn: Callback): void {
    this.destroy(req.sessionID as string, (err?: unknown) => {
      this.generate?.(req);
      fn(err);
    });
  }

  load(sid: string, fn: (err?: unknown, sess?: Session) => void): void {
    this.get(sid, (err, sess) => {
      if (err) return fn(err);
      if (!sess) return fn();
      const req: SessionOwner = { sessionID: sid, sessionStore: this };
      fn(undefined, this.createSession(req, sess));
    });
  }

  createSession(req: SessionOwner, sess: SessionRecord): Session {
    return createSession(req, sess);
  }

  // Subclasses implement these; the base class only fails clearly.
  get(_sid: string, fn: (err?: unknown, sess?: SessionRecord | null) => void): void {
    fn(new Error('Store#get is not implemented'));
  }
  set(_sid: string, _sess: object, fn?: Callback): void {
    fn?.(new Error('Store#set is not implemented'));
  }
  destroy(_sid: string, fn?: Callback): void {
    fn?.(new Error('Store#destroy is not implemented'));
  }
}

const defer = setImmediate;

/**
 * express-session's `MemoryStore`: records as JSON strings in an object,
 * expired ones dropped when read. Like the original it is for development
 * and tests (it never evicts records nobody reads again, and it is per process).
 */
export class MemoryStore extends Store {
  sessions: Record<string, string> = Object.create(null) as Record<string, string>;

  all(callback?: (err: unknown, sessions?: Record<string, SessionRecord>) => void): void {
    const out = Object.create(null) as Record<string, SessionRecord>;
    for (const sid of Object.keys(this.sessions)) {
      const s = memoryGet(this, sid);
      if (s) out[sid] = s;
    }
    if (callback) defer(callback, null, out);
  }

  clear(callback?: Callback): void {
    this.sessions = Object.create(null) as Record<string, string>;
    if (callback) defer(callback);
  }

  override destroy(sid: string, callback?: Callback): void {
    delete this.sessions[sid];
    if (callback) defer(callback);
  }

  override get(sid: string, callback: (err?: unknown, sess?: SessionRecord | null) => void): void {
    defer(callback, null, memoryGet(this, sid));
  }

  override set(sid: string, session: object, callback?: Callback): void {
    this.sessions[sid] = JSON.stringify(session);
    if (callback) defer(callback);
  }

  length(callback: (err: unknown, length?: number) => void): void {
    this.all((err, sessions) => {
      if (err) return callback(err);
      callback(null, Object.keys(sessions ?? {}).length);
    });
  }

  touch(sid: string, session: { cookie?: unknown }, callback?: Callback): void {
    memoryTouch(this, sid, session);
    if (callback) defer(callback);
  }
}

/** @internal The MemoryStore's `get`, synchronous (the middleware's fast path). */
export function memoryGet(store: MemoryStore, sid: string): SessionRecord | undefined {
  const raw = store.sessions[sid];
  if (!raw) return undefined;
  const sess = JSON.parse(raw) as SessionRecord;
  if (sess.cookie) {
    const e = sess.cookie.expires;
    const expires = typeof e === 'string' ? new Date(e) : (e as Date | null | undefined);
    // destroy expired session
    if (expires && expires.valueOf() <= Date.now()) {
      delete store.sessions[sid];
      return undefined;
    }
  }
  return sess;
}

/** @internal The MemoryStore's `touch`, synchronous. */
export function memoryTouch(store: MemoryStore, sid: string, session: { cookie?: unknown }): void {
  const current = memoryGet(store, sid);
  if (current) {
    current.cookie = session.cookie as Record<string, unknown>;
    store.sessions[sid] = JSON.stringify(current);
  }
}

const proto = MemoryStore.prototype;

/**
 * `store` when it is a MemoryStore whose get/set/destroy/touch are still ours,
 * else null. Checked per store call: the app (or a test) may wrap a method
 * after the middleware was made, and every call must then go through it. @internal
 */
export function syncMemory(store: unknown): MemoryStore | null {
  if (!(store instanceof MemoryStore)) return null;
  if (store.get !== proto.get || store.set !== proto.set || store.destroy !== proto.destroy || store.touch !== proto.touch) return null;
  return store;
}
