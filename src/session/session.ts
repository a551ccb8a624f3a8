/**
 * The `Session` apps construct: the lifecycle (src/manager) with the user
 * features (src/users) composed on top. The lifecycle imports nothing of the
 * user layer; this class hands the user functions its host and installs the
 * two hooks the lifecycle calls (an ID change that the user index follows, the
 * reason a session is missing).
 */
import type { Provider } from '../providers/provider.js';
import type { SessionConfig } from '../manager/config.js';
import type { SessionHost } from '../manager/host.js';
import type { SessionRequest, SessionResponse } from '../manager/http.js';
import { SessionLifecycle, hostOf } from '../manager/session.js';
import type { SessionStore } from '../manager/store.js';
import type { DefaultSessionData } from '../manager/value.js';
import { missingReason } from '../users/limits.js';
import { followId } from '../users/record.js';
import { destroyRemember, newRemember, resume, startRemember } from '../users/remember.js';
import * as users from '../users/sessions.js';
import type { DestroyUserSessionsOptions, LoginOptions, UserSessionInfo, UserSessionsOptions } from '../users/sessions.js';

/**
 * The session manager: one per app (it holds the derived keys).
 *
 * ```ts
 * import http from 'node:http';
 * import { MemoryProvider, Session } from 'wasm-session';
 *
 * const session = new Session(new MemoryProvider(), { cookieSecret: process.env.SESSION_SECRET! });
 * http.createServer(async (req, res) => {
 *   const store = await session.start(req, res);
 *   store.getValue().set('visits', store.getValue().int('visits') + 1);
 *   res.end('ok'); // the change is saved before the response goes out
 * });
 * ```
 */
export class Session<D extends object = DefaultSessionData> extends SessionLifecycle<D> {
  /** What src/users needs of this Session (made once, by the lifecycle). */
  readonly #users: SessionHost;

  /**
   * Throws `EmptySecretError`, `WeakSecretError` or `InvalidConfigError` for a
   * bad config, `BackendUnavailableError` when the requested backend cannot run.
   */
  constructor(provider: Provider, config: SessionConfig<D>) {
    super(provider, config);
    const host = (this.#users = hostOf(this));
    const core = host.core;
    core.userHooks = {
      followId: (userId, series, oldRef, newRef, newSid) => followId(core, userId, series, oldRef, newRef, newSid),
      missingReason: (sid) => missingReason(core, sid),
    };
  }

  /**
   * Logs the request's session in as `userId`: a new ID (the data kept, the old ID destroyed) bound to the
   * user and indexed; `remember` adds a revocable remember-me token; see docs/users.md (`SessionLimitError`, ...).
   */
  login(req: SessionRequest, res: SessionResponse, userId: string, options?: LoginOptions): Promise<SessionStore<D>> {
    return users.login(this.#users, req, res, userId, options) as unknown as Promise<SessionStore<D>>;
  }

  /** `destroy`, the session leaves its user's index, and this device's remember-me series is revoked. */
  logout(req: SessionRequest, res: SessionResponse): Promise<void> {
    return users.logout(this.#users, req, res, () => this.destroy(req, res));
  }

  /**
   * The live user-bound session, or the device logged back in by its remember-me token (rotated);
   * `null` when there is nothing to resume (a revoked series: `start`'s store says `reason: 'revoked'`).
   */
  resume(req: SessionRequest, res: SessionResponse): Promise<SessionStore<D> | null> {
    return resume(this.#users, req, res) as unknown as Promise<SessionStore<D> | null>;
  }

  /** After the app re-checked a password or second factor: a new ID (as login) and `authenticatedAt` now. */
  reauthenticated(req: SessionRequest, res: SessionResponse): Promise<SessionStore<D>> {
    return users.reauthenticated(this.#users, req, res) as unknown as Promise<SessionStore<D>>;
  }

  /** The user's live sessions, oldest first, with `handle`s for `revokeSession`; `current` marks the given store's. */
  userSessions(userId: string, options?: UserSessionsOptions): Promise<UserSessionInfo[]> {
    return users.listUserSessions(this.#users, userId, options);
  }

  /** Destroys every session of `userId` (but `keep`'s) and revokes their remember-me series; resolves with how many. */
  destroyUserSessions(userId: string, options?: DestroyUserSessionsOptions): Promise<number> {
    return users.destroyUserSessions(this.#users, userId, options);
  }

  /** Ends the session a `userSessions` handle names, and its remember-me series; `InvalidHandleError` for a forged or foreign handle. */
  revokeSession(userId: string, handle: string): Promise<boolean> {
    return users.revokeSession(this.#users, userId, handle);
  }

  /** Sets the stateless remember-me cookie carrying `psk`: the server cannot revoke it (see docs/users.md). */
  newRemember(req: SessionRequest, res: SessionResponse, psk: string): void {
    newRemember(this.#users, req, res, psk);
  }

  /** The psk of the request's remember-me cookie, or `null` (absent, invalid, expired, or a server-side token). */
  startRemember(req: SessionRequest): string | null {
    return startRemember(this.#users, req);
  }

  /** Expires the remember-me cookie. */
  destroyRemember(req: SessionRequest, res: SessionResponse): void {
    destroyRemember(this.#users, req, res);
  }
}
