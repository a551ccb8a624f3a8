import type { SessionError } from '../errors.js';
import type { OpenFailure } from '../crypto/types.js';
import type { SessionRequest } from './http.js';

/** Why `start` handed out a new session instead of restoring one (`null` on the store when restored). */
export type StartReason =
  /** No cookie of the session's name. */
  | 'absent'
  /** A cookie that does not open: tampered, truncated, garbage, another app's, or from the future. */
  | 'invalid'
  /** A cookie older than `cookieExpire` (the absolute lifetime). */
  | 'expired'
  /** A valid cookie whose session the store no longer has (idle timeout, destroyed, revoked by `destroyUserSessions`, evicted, a renewed ID past its grace). */
  | 'unknown'
  /** A valid cookie of a session that `destroyUserSessions` or `revokeSession` destroyed, or of a revoked remember-me series ("you were logged out on all devices"). */
  | 'revoked'
  /** A session ended by the device limit (`maxSessions` with `policy: 'evict'`): another login took its place. */
  | 'evicted'
  /** The store holds a record for this cookie that it cannot decode (left as it is; see the `error` event). */
  | 'corrupt'
  /** The store failed and `onStoreError` is `fresh`: this session is never saved and sends no cookie. */
  | 'store-error'
  /**
   * A device-bound session (`wasm-session/dbsc`) came without a valid bound cookie: a copied
   * long-lived cookie alone. Enforce mode: a new session; additive mode: restored (`isNew()` false).
   */
  | 'unbound';

/** What every event carries. */
export interface SessionEventBase {
  /** The request being served (for logging its URL or address). */
  readonly req: SessionRequest;
  /** The cookie concerned: the session's, or the remember-me cookie's name. */
  readonly cookieName: string;
}

export interface InvalidEvent extends SessionEventBase {
  /** The codec's reason: `malformed`, `bad-tag`, `unknown-key`, `unsupported-version` or `future`. */
  readonly failure: Exclude<OpenFailure, 'expired'>;
}

export type ExpiredEvent = SessionEventBase;

export interface UnknownEvent extends SessionEventBase {
  /** The first characters of the session ID, for correlating logs (never the whole ID). */
  readonly sidHint: string;
}

/**
 * A remember-me token that was already rotated away was presented outside the
 * grace window: a copy of the cookie was used (theft). The series is revoked
 * and its session destroyed; alert the user.
 */
export interface RememberTheftEvent extends SessionEventBase {
  readonly userId: string;
  /** The first characters of the series ID (log correlation; never the token). */
  readonly seriesHint: string;
}

export interface UnboundEvent extends SessionEventBase {
  /** The first characters of the session ID, for correlating logs (never the whole ID). */
  readonly sidHint: string;
  /** True when the request got a new session (enforce mode); false when it was restored (additive). */
  readonly enforced: boolean;
}

/** The store operation that failed. */
export type SessionOperation = 'restore' | 'new' | 'save' | 'touch' | 'refresh' | 'destroy';

export interface SessionErrorEvent {
  /** Its `code` says what failed; a custom store's plain errors arrive wrapped in `StoreUnavailableError`. */
  readonly error: SessionError;
  readonly operation: SessionOperation;
  readonly req?: SessionRequest;
  readonly sidHint?: string;
}

/** The events a `Session` emits, so an app can log and count them. */
export interface SessionEvents {
  invalid: InvalidEvent;
  expired: ExpiredEvent;
  unknown: UnknownEvent;
  'remember-theft': RememberTheftEvent;
  /** A device-bound session without its valid bound cookie (see `wasm-session/dbsc`). */
  unbound: UnboundEvent;
  /** Store failures, corrupt records, failed saves. Never thrown at the process: no listener is fine. */
  error: SessionErrorEvent;
}

export type SessionEventName = keyof SessionEvents;
export type SessionListener<K extends SessionEventName> = (event: SessionEvents[K]) => void;
/** Listeners given in the config (`hooks: { error: (e) => log(e) }`). */
export type SessionHooks = { [K in SessionEventName]?: SessionListener<K> };

/**
 * A tiny typed emitter. Unlike node:events it never throws on an `error`
 * event without listeners (that would crash a server over a cache miss),
 * and a listener that throws cannot break the request that emitted.
 */
export class SessionEmitter {
  readonly #listeners: { [K in SessionEventName]: SessionListener<K>[] } = { invalid: [], expired: [], unknown: [], 'remember-theft': [], unbound: [], error: [] };
  #warned = new Set<string>();

  on<K extends SessionEventName>(event: K, listener: SessionListener<K>): this {
    this.#list(event).push(listener);
    return this;
  }

  off<K extends SessionEventName>(event: K, listener: SessionListener<K>): this {
    const list = this.#list(event);
    const i = list.lastIndexOf(listener);
    if (i >= 0) list.splice(i, 1);
    return this;
  }

  once<K extends SessionEventName>(event: K, listener: SessionListener<K>): this {
    const wrapper: SessionListener<K> = (e) => {
      this.off(event, wrapper);
      listener(e);
    };
    return this.on(event, wrapper);
  }

  listenerCount(event: SessionEventName): number {
    return this.#listeners[event].length;
  }

  /** True when someone listens: lets callers skip building the event object. */
  has(event: SessionEventName): boolean {
    return this.#listeners[event].length > 0;
  }

  emit<K extends SessionEventName>(event: K, payload: SessionEvents[K]): void {
    const list = this.#list(event);
    if (list.length === 0) {
      // Errors must not vanish: with nobody listening, warn once per code.
      if (event === 'error') this.#warnUnheard(payload as SessionErrorEvent);
      return;
    }
    for (const listener of [...list]) {
      try {
        listener(payload);
      } catch (err) {
        process.emitWarning(`a session "${event}" listener threw: ${String(err)}`, { code: 'WASM_SESSION_LISTENER' });
      }
    }
  }

  #list<K extends SessionEventName>(event: K): SessionListener<K>[] {
    return this.#listeners[event] as SessionListener<K>[];
  }

  #warnUnheard(e: SessionErrorEvent): void {
    const code = (e.error as { code?: string }).code ?? e.error.name;
    if (this.#warned.has(code)) return;
    this.#warned.add(code);
    process.emitWarning(
      `session ${e.operation} failed: ${e.error.message} (${code}). Listen with session.on('error', ...) to handle these; this warning is shown once per code.`,
      { code: 'WASM_SESSION_ERROR' },
    );
  }
}
