import { InvalidConfigError } from '../errors.js';
import { normalizeSecrets } from '../crypto/format.js';
import type { BackendChoice } from '../crypto/types.js';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { SessionHooks } from './events.js';
import type { DefaultSessionData } from './value.js';

export type SameSite = 'lax' | 'strict' | 'none';

/** What `Session` accepts. Durations are in seconds. See docs/manager.md for the full table. */
export interface SessionConfig<D extends object = DefaultSessionData> {
  /** Name of the session cookie. Default `sid`. */
  cookieName?: string;
  /** One secret, or a list for rotation (the first seals, all open). Required; each ≥ 32 characters. */
  cookieSecret: string | readonly string[];
  /**
   * Absolute lifetime of a session, counted from its creation (the sealed issuedAt), never reset
   * by re-sending the cookie; also the cookie's Max-Age. 0 = browser-session cookie, no absolute
   * limit. Default 86400 (one day).
   */
  cookieExpire?: number;
  /** Send the cookie only over HTTPS. Default false. */
  cookieSecure?: boolean;
  cookieDomain?: string;
  /** Default `/`. */
  cookiePath?: string;
  /** Default `lax`. */
  cookieSameSite?: SameSite;
  /** Name of the remember-me cookie. Default `<cookieName>_remember`. */
  rememberName?: string;
  /** Lifetime of the remember-me cookie. Default 2592000 (30 days); 0 = browser-session cookie. */
  rememberExpire?: number;
  /** Secret(s) for the remember-me cookie. Default: cookieSecret (keys differ anyway: they derive from the name). */
  rememberSecret?: string | readonly string[];
  /** Idle timeout: the store's TTL, slid forward by `touch`. 0 = no TTL. Default 1800 (30 minutes). */
  sessionExpire?: number;
  /** Touch (slide the idle timeout) on every `start` that restores a session. Default true. */
  rolling?: boolean;
  /**
   * Seconds: a `rolling` touch slides the TTL only once it was last set at
   * least this long ago (connect-mongo's name), so a read-only request within
   * it writes nothing (on Redis with the client-side cache: sends nothing).
   * An idle session may expire up to this much early. Passed to the provider
   * (Redis) through `useDefaults`; a provider's own `touchAfter` option wins.
   * Default: the provider's, a tenth of `sessionExpire`. Below `sessionExpire`.
   */
  touchAfter?: number;
  /** Create new sessions in the store (and send their cookie) at `start`, not at their first change. Default false. */
  saveUninitialized?: boolean;
  /**
   * When the store fails during `start`: `fail` (default) rejects with `StoreUnavailableError`
   * (answer 503); `fresh` serves the request with a new, unsaved session (reason `store-error`)
   * and reports the error through the `error` event.
   */
  onStoreError?: 'fail' | 'fresh';
  /** Crypto backend. Default `auto` (native where the addon loads, else wasm, else js). */
  backend?: BackendChoice;
  /** Allowance for a cookie issued "in the future" (clock skew between servers), ms. Default 60000. */
  clockSkewMs?: number;
  /** Event listeners, the same as calling `session.on(...)` for each. */
  hooks?: SessionHooks;
  /**
   * A Standard Schema (zod, valibot, arktype, ...) for the session's data. It
   * types the Session (`get` returns the schema's output type) and checks each
   * restored record: one that fails is `reason: 'corrupt'` (a new session; the
   * record is left alone; `error` fires). Only restores are checked; `set`
   * is checked by the types.
   */
  schema?: StandardSchemaV1<unknown, D>;
  /**
   * Renew the session ID of a restored session whose ID is older than this many seconds (OWASP's
   * periodic renewal): data, user binding and absolute lifetime kept. 0 = off (default).
   * Needs a provider with `renew` (the bundled ones).
   */
  renewAfter?: number;
  /** Seconds the old ID keeps restoring the renewed session (concurrent requests, slow tabs). Default 30. */
  renewGrace?: number;
  /**
   * Seconds a rotated remember-me token still resumes (to the session its
   * rotation made, with no new token): two tabs resuming at once. 0 = off
   * (the second tab's request counts as theft). Default 10.
   */
  rememberGrace?: number;
  /**
   * Most live sessions per user (`login`): `evict` ends the least recently
   * seen one (its client gets `reason: 'evicted'`), `refuse` rejects the new
   * login with `SessionLimitError`. Needs a provider with `records`.
   */
  maxSessions?: MaxSessions;
}

export interface MaxSessions {
  /** At least 1. */
  readonly limit: number;
  readonly policy: 'evict' | 'refuse';
}

export interface ResolvedConfig {
  readonly cookieName: string;
  readonly cookieSecret: readonly string[];
  readonly cookieExpire: number;
  readonly cookieSecure: boolean;
  readonly cookieDomain: string | undefined;
  readonly cookiePath: string;
  readonly cookieSameSite: SameSite;
  readonly rememberName: string;
  readonly rememberExpire: number;
  readonly rememberSecret: readonly string[];
  readonly sessionExpire: number;
  readonly rolling: boolean;
  readonly touchAfter: number | undefined;
  readonly saveUninitialized: boolean;
  readonly onStoreError: 'fail' | 'fresh';
  readonly backend: BackendChoice;
  readonly clockSkewMs: number | undefined;
  readonly schema: StandardSchemaV1 | undefined;
  readonly renewAfter: number;
  readonly renewGrace: number;
  readonly rememberGrace: number;
  readonly maxSessions: MaxSessions | undefined;
}

export const DEFAULTS = {
  cookieName: 'sid',
  cookieExpire: 86_400,
  cookiePath: '/',
  cookieSameSite: 'lax',
  rememberExpire: 2_592_000,
  sessionExpire: 1_800,
  renewGrace: 30,
  rememberGrace: 10,
} as const;

// RFC 6265 token: what a cookie name may contain.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Cookie Path/Domain: no control characters or ';' (they would inject attributes).
const ATTRIBUTE = /^[\u0021-\u003A\u003C-\u007E]+$/;

/** Validates `config` with typed errors, filling in defaults. Never echoes secrets. */
export function resolveConfig<D extends object>(config: SessionConfig<D>): ResolvedConfig {
  if (config === null || typeof config !== 'object') throw new InvalidConfigError('config must be an object');
  const cookieName = optString(config.cookieName, 'cookieName', DEFAULTS.cookieName);
  if (!COOKIE_NAME.test(cookieName)) throw new InvalidConfigError('cookieName must be a cookie token (letters, digits, !#$%&\'*+-.^_`|~)');
  const rememberName = optString(config.rememberName, 'rememberName', `${cookieName}_remember`);
  if (!COOKIE_NAME.test(rememberName)) throw new InvalidConfigError('rememberName must be a cookie token');
  // Same name = same derived keys: a remember cookie would open as a session cookie.
  if (rememberName === cookieName) throw new InvalidConfigError('rememberName must differ from cookieName');

  // The codec's rule (crypto/format.ts), so createCodec and Session answer alike.
  const cookieSecret = normalizeSecrets(config.cookieSecret, 'cookieSecret');
  const rememberSecret = config.rememberSecret === undefined ? cookieSecret : normalizeSecrets(config.rememberSecret, 'rememberSecret');

  const cookiePath = optString(config.cookiePath, 'cookiePath', DEFAULTS.cookiePath);
  if (!ATTRIBUTE.test(cookiePath)) throw new InvalidConfigError('cookiePath has characters a cookie attribute cannot carry');
  const cookieDomain = config.cookieDomain === undefined ? undefined : optString(config.cookieDomain, 'cookieDomain', '');
  if (cookieDomain !== undefined && !ATTRIBUTE.test(cookieDomain)) {
    throw new InvalidConfigError('cookieDomain has characters a cookie attribute cannot carry');
  }
  const cookieSameSite = config.cookieSameSite ?? DEFAULTS.cookieSameSite;
  if (cookieSameSite !== 'lax' && cookieSameSite !== 'strict' && cookieSameSite !== 'none') {
    throw new InvalidConfigError('cookieSameSite must be lax, strict or none');
  }
  const cookieSecure = optBool(config.cookieSecure, 'cookieSecure', false);
  // Browsers drop SameSite=None cookies that are not Secure: fail at startup, not silently in production.
  if (cookieSameSite === 'none' && !cookieSecure) throw new InvalidConfigError('cookieSameSite "none" requires cookieSecure: true');

  // Cookie name prefixes (RFC 6265bis): browsers drop a __Host- cookie that is not Secure, Path=/ and
  // host-only, and a __Secure- cookie that is not Secure. Refuse at construction rather than lose it silently.
  for (const [name, label] of [[cookieName, 'cookieName'], [rememberName, 'rememberName']] as const) {
    if (name.startsWith('__Host-') && (!cookieSecure || cookiePath !== '/' || cookieDomain !== undefined)) {
      throw new InvalidConfigError(`${label} "${name}" (__Host- prefix) requires cookieSecure: true, cookiePath: '/' and no cookieDomain`);
    }
    if (name.startsWith('__Secure-') && !cookieSecure) {
      throw new InvalidConfigError(`${label} "${name}" (__Secure- prefix) requires cookieSecure: true`);
    }
  }

  const onStoreError = config.onStoreError ?? 'fail';
  if (onStoreError !== 'fail' && onStoreError !== 'fresh') throw new InvalidConfigError('onStoreError must be fail or fresh');
  const backend = config.backend ?? 'auto';
  if (backend !== 'auto' && backend !== 'native' && backend !== 'wasm' && backend !== 'js' && backend !== 'node') {
    throw new InvalidConfigError('backend must be auto, native, wasm, js or node');
  }
  const clockSkewMs = config.clockSkewMs === undefined ? undefined : seconds(config.clockSkewMs, 'clockSkewMs', 0, 'ms');
  const sessionExpire = seconds(config.sessionExpire, 'sessionExpire', DEFAULTS.sessionExpire, 'seconds', MAX_SESSION_EXPIRE);
  const touchAfter = config.touchAfter === undefined ? undefined : seconds(config.touchAfter, 'touchAfter', 0);
  if (touchAfter !== undefined && touchAfter > 0 && sessionExpire > 0 && touchAfter >= sessionExpire) {
    throw new InvalidConfigError(`touchAfter (${touchAfter} s) must be less than sessionExpire (${sessionExpire} s)`);
  }

  return {
    cookieName,
    cookieSecret,
    cookieExpire: seconds(config.cookieExpire, 'cookieExpire', DEFAULTS.cookieExpire, 'seconds (400 days, the browsers\' cap)', MAX_COOKIE_EXPIRE),
    cookieSecure,
    cookieDomain,
    cookiePath,
    cookieSameSite,
    rememberName,
    rememberExpire: seconds(config.rememberExpire, 'rememberExpire', DEFAULTS.rememberExpire, 'seconds (400 days, the browsers\' cap)', MAX_COOKIE_EXPIRE),
    rememberSecret,
    sessionExpire,
    rolling: optBool(config.rolling, 'rolling', true),
    touchAfter,
    saveUninitialized: optBool(config.saveUninitialized, 'saveUninitialized', false),
    onStoreError,
    backend,
    clockSkewMs,
    schema: checkSchema(config.schema),
    renewAfter: seconds(config.renewAfter, 'renewAfter', 0, 'seconds', MAX_COOKIE_EXPIRE),
    renewGrace: seconds(config.renewGrace, 'renewGrace', DEFAULTS.renewGrace, 'seconds', 86_400),
    rememberGrace: seconds(config.rememberGrace, 'rememberGrace', DEFAULTS.rememberGrace, 'seconds', 300),
    maxSessions: checkMaxSessions(config.maxSessions),
  };
}

/**
 * Browsers cap a cookie's lifetime at 400 days (RFC 6265bis; Chrome enforces
 * it): a longer cookieExpire/rememberExpire would be cut short silently.
 */
export const MAX_COOKIE_EXPIRE = 400 * 86_400;
/** Longest idle timeout (2^31-1 s, ~68 years): every store and timer takes it. Providers may allow less (memcached). */
export const MAX_SESSION_EXPIRE = 0x7fffffff;

function seconds(value: unknown, name: string, fallback: number, unit = 'seconds', max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidConfigError(`${name} must be a non-negative integer (${unit})`);
  }
  if (value > max) throw new InvalidConfigError(`${name} must be at most ${max} ${unit}, got ${value}`);
  return value;
}

function optString(value: unknown, name: string, fallback: string): string {
  if (value === undefined) return fallback;
  if (typeof value !== 'string' || value.length === 0) throw new InvalidConfigError(`${name} must be a non-empty string`);
  return value;
}

function optBool(value: unknown, name: string, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidConfigError(`${name} must be a boolean`);
  return value;
}

function checkSchema(schema: unknown): StandardSchemaV1 | undefined {
  if (schema === undefined) return undefined;
  const std = (schema as { '~standard'?: { version?: unknown; validate?: unknown } } | null)?.['~standard'];
  if (std?.version !== 1 || typeof std.validate !== 'function') {
    throw new InvalidConfigError('schema must implement Standard Schema v1 (zod, valibot, arktype, ...): no ~standard.validate');
  }
  return schema as StandardSchemaV1;
}

function checkMaxSessions(value: unknown): MaxSessions | undefined {
  if (value === undefined) return undefined;
  const m = value as Partial<MaxSessions> | null;
  if (m === null || typeof m !== 'object' || typeof m.limit !== 'number' || !Number.isSafeInteger(m.limit) || m.limit < 1 || m.limit > 1000) {
    throw new InvalidConfigError('maxSessions.limit must be an integer from 1 to 1000');
  }
  if (m.policy !== 'evict' && m.policy !== 'refuse') throw new InvalidConfigError("maxSessions.policy must be 'evict' or 'refuse'");
  return { limit: m.limit, policy: m.policy };
}
