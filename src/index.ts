/**
 * wasm-session: sessions for Node.js web servers, with cookies sealed by a
 * Rust→WASM crypto core (pure-TypeScript fallback).
 */
export { Session } from './session/session.js';
export { SessionStore } from './manager/store.js';
export { Value, MAX_DEPTH } from './manager/value.js';
export type { JsonValue, ValueChanges, SessionData, DefaultSessionData, SessionKey, JsonInput, ValueInput, IsLoose } from './manager/value.js';
export { MemoryProvider } from './providers/memory/provider.js';
export type { MemoryProviderOptions } from './providers/memory/provider.js';
export type {
  Provider,
  Storer,
  RestoreOptions,
  ProviderDefaults,
  SessionMeta,
  MetaStorer,
  IndexedSession,
  IndexOptions,
  UserIndex,
  RenewOptions,
  RenewingProvider,
  RecordStore,
  VersionedRecord,
  CookieCapableProvider,
  CookieSetup,
  RequestCookies,
} from './providers/provider.js';
export type { LoginOptions, UserSessionInfo, UserSessionsOptions, DestroyUserSessionsOptions, StoreRef, FreshGuardOptions } from './users/index.js';
export { MAX_USER_ID, MAX_LABEL, MAX_IP, MAX_USER_AGENT, staleResponse } from './users/index.js';
export { ProviderStorer } from './providers/storer.js';
export type { StorerBackend } from './providers/storer.js';
export type { SessionConfig, ResolvedConfig, SameSite, MaxSessions } from './manager/config.js';
export { MAX_COOKIE_EXPIRE, MAX_SESSION_EXPIRE } from './manager/config.js';
export type { SessionRequest, SessionResponse } from './manager/http.js';
export type {
  StartReason,
  SessionEvents,
  SessionEventName,
  SessionListener,
  SessionHooks,
  SessionEventBase,
  InvalidEvent,
  ExpiredEvent,
  UnknownEvent,
  RememberTheftEvent,
  UnboundEvent,
  SessionErrorEvent,
  SessionOperation,
} from './manager/events.js';
export * from './errors.js';
export { createCodec, initWasm, resolveBackend, wasmAvailable, TOKEN_MAX, VALUE_MAX, MIN_SECRET_LENGTH } from './crypto/index.js';
export type * from './crypto/types.js';
