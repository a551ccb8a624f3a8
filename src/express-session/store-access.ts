import { callStoreRaw } from '../providers/express-store/provider.js';
import type { Callback, SessionOwner } from './session.js';
import { memoryGet, memoryTouch, syncMemory, type SessionRecord } from './store.js';

/**
 * A session store as express-session uses it (connect-redis, connect-pg-simple,
 * memorystore, ...): callback-style `get`/`set`/`destroy`, optional `touch`,
 * and EventEmitter `on` for `connect`/`disconnect`.
 */
export interface SessionStoreLike {
  get(sid: string, callback: (err: unknown, session?: SessionRecord | null) => void): unknown;
  set(sid: string, session: object, callback?: (err?: unknown) => void): unknown;
  destroy(sid: string, callback?: (err?: unknown) => void): unknown;
  touch?(sid: string, session: object, callback?: (err?: unknown) => void): unknown;
  on?(event: string, listener: (...args: unknown[]) => void): unknown;
  generate?: (req: SessionOwner) => void;
}

export type StoreMethod = 'set' | 'destroy' | 'touch';

/** How the middleware calls the store. */
export interface StoreAccess {
  get(sid: string, fn: (err: unknown, sess?: SessionRecord | null) => void): void;
  call(method: StoreMethod, sid: string, sess: object | undefined, fn: Callback): void;
  /** Our unwrapped MemoryStore's `set`, synchronously (the hot path); false when the store is anything else. */
  setSync(sid: string, sess: object): boolean;
  /** `fn`, made to answer asynchronously as stores do (our MemoryStore answers synchronously here). */
  later(fn: Callback): Callback;
}

/**
 * Store calls: synchronous for our own MemoryStore while its methods are ours
 * (checked per call), else the store's own method (exactly one call per
 * operation, as express-session makes), bounded by `timeout` ms.
 */
export function storeAccess(store: SessionStoreLike, timeout: number): StoreAccess {
  return {
    get(sid, fn) {
      const memory = syncMemory(store);
      if (memory !== null) {
        let sess: SessionRecord | undefined;
        try {
          sess = memoryGet(memory, sid);
        } catch (err) {
          fn(err);
          return;
        }
        fn(null, sess);
        return;
      }
      callStoreRaw<SessionRecord | null | undefined>(store, 'get', [sid], timeout).then(
        (sess) => fn(null, sess),
        (err: unknown) => fn(err),
      );
    },
    call(method, sid, sess, fn) {
      const memory = syncMemory(store);
      if (memory !== null) {
        try {
          if (method === 'set') memory.sessions[sid] = JSON.stringify(sess);
          else if (method === 'touch') memoryTouch(memory, sid, sess as { cookie?: unknown });
          else delete memory.sessions[sid];
        } catch (err) {
          fn(err);
          return;
        }
        fn();
        return;
      }
      callStoreRaw<void>(store, method, method === 'destroy' ? [sid] : [sid, sess], timeout).then(
        () => fn(),
        (err: unknown) => fn(err),
      );
    },
    setSync(sid, sess) {
      const memory = syncMemory(store);
      if (memory === null) return false;
      memory.sessions[sid] = JSON.stringify(sess);
      return true;
    },
    later(fn) {
      return (err?: unknown) => (syncMemory(store) !== null ? process.nextTick(fn, err) : fn(err));
    },
  };
}
