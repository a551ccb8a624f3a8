/**
 * What the features composed on top of the lifecycle (src/users, through the
 * `Session` facade in src/session) need of it: its core, its remember and
 * handle codecs, and the request plumbing. Made once by each Session; nothing
 * here is public API.
 * @internal
 */
import type { Codec, OpenOptions } from '../crypto/types.js';
import type { StartReason } from './events.js';
import type { CookieAttributes, SessionRequest, SessionResponse } from './http.js';
import type { SessionCore } from './core.js';
import type { RequestState, SessionStore } from './store.js';

export type Opened = { ok: true; value: string; issuedAt: number; keyIndex: number } | { ok: false; reason: 'absent' | 'invalid' | 'expired' };

export interface SessionHost {
  readonly core: SessionCore;
  /** The remember-me cookie's codec. */
  readonly remember: Codec;
  readonly rememberAttrs: CookieAttributes;
  readonly rememberOpen: OpenOptions;
  /** The session-handle codec (its own derived keys: a handle never opens as a cookie). */
  handles(): Codec;
  stateFor(req: SessionRequest, res: SessionResponse): RequestState;
  start(req: SessionRequest, res: SessionResponse): Promise<SessionStore>;
  /** `start`, with the store itself when it could be made at once (an in-process provider). */
  begin(req: SessionRequest, res: SessionResponse): SessionStore | Promise<SessionStore>;
  /** A new, empty store for the request, saying why. */
  fresh(state: RequestState, reason: StartReason): SessionStore;
  /** Opens the request's cookie `name` (events emitted as for the session cookie). */
  open(req: SessionRequest, codec: Codec, name: string, options: OpenOptions): Opened;
  /** Puts a Set-Cookie line for `name` (replacing ours), unless the headers are out. */
  putLine(state: RequestState, name: string, line: string): void;
}
