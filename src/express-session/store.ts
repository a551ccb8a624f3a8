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

/** @internal Synchronous access to a MemoryStore (the middleware's fast path). */
export const SYNC: unique symbol = Symbol('wasm-session/express-session memory');

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
      const s = this[SYNC].get(sid);
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
    defer(callback, null, this[SYNC].get(sid));
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
    this[SYNC].touch(sid, session);
    if (callback) defer(callback);
  }

  /** @internal The same operations, synchronous: used by the middleware when the methods are not overridden. */
  readonly [SYNC] = {
    get: (sid: string): SessionRecord | undefined => {
      const raw = this.sessions[sid];
      if (!raw) return undefined;
      const sess = JSON.parse(raw) as SessionRecord;
      if (sess.cookie) {
        const e = sess.cookie.expires;
        const expires = typeof e === 'string' ? new Date(e) : (e as Date | null | undefined);
        // destroy expired session
        if (expires && expires.valueOf() <= Date.now()) {
          delete this.sessions[sid];
          return undefined;
        }
      }
      return sess;
    },
    set: (sid: string, session: object): void => {
      this.sessions[sid] = JSON.stringify(session);
    },
    touch: (sid: string, session: { cookie?: unknown }): void => {
      const current = this[SYNC].get(sid);
      if (current) {
        current.cookie = session.cookie as Record<string, unknown>;
        this.sessions[sid] = JSON.stringify(current);
      }
    },
  };
}

/** The MemoryStore's synchronous operations when `store` is one whose get/set/destroy/touch are ours. @internal */
export function syncMemory(store: unknown): MemoryStore[typeof SYNC] | null {
  if (!(store instanceof MemoryStore)) return null;
  const p = MemoryStore.prototype;
  if (store.get !== p.get || store.set !== p.set || store.destroy !== p.destroy || store.touch !== p.touch) return null;
  return store[SYNC];
}
