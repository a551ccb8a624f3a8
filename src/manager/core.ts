/**
 * What the manager's parts (the per-request store, renewal, error reports,
 * and the user features composed on top) need from their Session, in a module of its own that
 * imports only types from below, so none of them imports another for it.
 */
import type { Codec } from '../crypto/types.js';
import type { Provider, Storer } from '../providers/provider.js';
import type { ResolvedConfig } from './config.js';
import type { SessionEmitter } from './events.js';
import type { CookieAttributes, SessionRequest } from './http.js';

/** What a store needs from its Session. @internal */
export interface SessionCore {
  readonly config: ResolvedConfig;
  readonly codec: Codec;
  readonly provider: Provider;
  readonly events: SessionEmitter;
  readonly attrs: CookieAttributes;
  /** Set by `wasm-session/dbsc` (`Session.useBindingCheck`). */
  binding?: BindingCheck;
  /** Set by the `Session` facade (src/session): the user features' part in the lifecycle, which cannot import them. */
  userHooks?: UserHooks;
}

/**
 * What the lifecycle asks of the user features (src/users), which sit above
 * it: installed by the `Session` facade. Without them (a lifecycle alone) an
 * ID change follows nothing and a missing session is `unknown`. @internal
 */
export interface UserHooks {
  /** A bound session got a new ID (refresh, renewal): its device entry and remember-me series follow it. */
  followId(userId: string, series: string | undefined, oldRef: string, newRef: string, newSid: string): Promise<void>;
  /** Why a restore found nothing, when the user index can tell (a tombstone): `revoked`, `evicted`, else `unknown`. */
  missingReason(sid: string): Promise<'revoked' | 'evicted' | 'unknown'>;
}

/**
 * A check every restored session must pass, else it restores as `unbound`
 * (`wasm-session/dbsc`: a device-bound session needs its bound cookie). @internal
 */
export interface BindingCheck {
  /** A failing session gets a new one (true) or is restored with reason `unbound` (false). */
  readonly enforce: boolean;
  passes(req: SessionRequest, storer: Storer): boolean;
}
