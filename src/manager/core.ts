/**
 * What the manager's parts (the per-request store, renewal, error reports,
 * the users room) need from their Session, in a module of its own that
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
