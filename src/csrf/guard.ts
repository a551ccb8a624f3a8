/**
 * Cross-site request protection, framework-free: the decision for one
 * request from its method, path, `Host`, `Sec-Fetch-Site`, `Origin` and (when
 * asked for) the session's synchronizer token. The adapters (adapters.ts)
 * feed it and answer 403.
 *
 * The model is Go 1.25's `http.CrossOriginProtection`: browsers say where a
 * request comes from (Fetch Metadata, else `Origin`); requests that carry
 * neither header are not from a browser (or from one too old to send them)
 * and are let through, unless `tokenless: 'require-token'` asks those to
 * prove themselves with the session's token.
 * @module
 */
import { timingSafeEqual } from 'node:crypto';
import { CsrfRejectedError, InvalidConfigError, type CsrfReason } from '../errors.js';
import { CSRF_KEY } from '../manager/store.js';

export interface CsrfOptions {
  /** Origins allowed to send unsafe requests cross-site, e.g. `https://admin.example.com` (scheme://host[:port]). */
  readonly trustedOrigins?: readonly string[];
  /** Let `Sec-Fetch-Site: same-site` through (sibling subdomains). Default false: they are refused. */
  readonly allowSameSite?: boolean;
  /** Paths never checked (webhooks, the DBSC endpoints): an exact path, or a RegExp tested on the path. */
  readonly bypass?: readonly (string | RegExp)[];
  /**
   * Requests with neither `Sec-Fetch-Site` nor `Origin`: `allow` (default: not a browser, or a very old
   * one) or `require-token` (they must carry the session's `csrfToken()`).
   */
  readonly tokenless?: 'allow' | 'require-token';
  /** Header carrying the token. Default `x-csrf-token`. */
  readonly tokenHeader?: string;
  /** Parsed-body field carrying the token (forms), where the framework parsed the body first. Default `_csrf`. */
  readonly tokenField?: string;
  /** Called with each refusal (for logging); the guard answers 403 either way. */
  readonly onRejected?: (error: CsrfRejectedError) => void;
}

/** What the guard reads from a request. */
export interface CsrfInput {
  readonly method: string;
  readonly path: string;
  readonly host: string | undefined;
  readonly secFetchSite: string | undefined;
  readonly origin: string | undefined;
  /** The token the request presents (header or form field), if any. */
  readonly token: string | undefined;
  /** The session's stored token (`undefined` when it has none). Read only when a token is needed. */
  readonly sessionToken: () => string | undefined;
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

/** A resolved guard: `check` returns `null` (let through) or the refusal. */
export class CsrfGuard {
  readonly #trusted: ReadonlySet<string>;
  readonly #allowSameSite: boolean;
  readonly #bypassExact: ReadonlySet<string>;
  readonly #bypassPatterns: readonly RegExp[];
  readonly #requireToken: boolean;
  readonly tokenHeader: string;
  readonly tokenField: string;
  readonly #onRejected: ((error: CsrfRejectedError) => void) | undefined;

  constructor(options: CsrfOptions = {}) {
    if (options === null || typeof options !== 'object') throw new InvalidConfigError('csrf options must be an object');
    const trusted = new Set<string>();
    for (const o of options.trustedOrigins ?? []) {
      let url: URL;
      try {
        url = new URL(o);
      } catch {
        throw new InvalidConfigError(`csrf trustedOrigins: ${JSON.stringify(o)} is not an origin (scheme://host[:port])`);
      }
      if (url.origin === 'null' || url.origin !== o.replace(/\/$/, '')) throw new InvalidConfigError(`csrf trustedOrigins: ${JSON.stringify(o)} must be just scheme://host[:port]`);
      trusted.add(url.origin);
    }
    this.#trusted = trusted;
    this.#allowSameSite = options.allowSameSite === true;
    const exact = new Set<string>();
    const patterns: RegExp[] = [];
    for (const b of options.bypass ?? []) {
      if (typeof b === 'string' && b.startsWith('/')) exact.add(b);
      else if (b instanceof RegExp) patterns.push(b);
      else throw new InvalidConfigError('csrf bypass entries must be absolute paths or RegExps');
    }
    this.#bypassExact = exact;
    this.#bypassPatterns = patterns;
    if (options.tokenless !== undefined && options.tokenless !== 'allow' && options.tokenless !== 'require-token') {
      throw new InvalidConfigError("csrf tokenless must be 'allow' or 'require-token'");
    }
    this.#requireToken = options.tokenless === 'require-token';
    this.tokenHeader = (options.tokenHeader ?? 'x-csrf-token').toLowerCase();
    this.tokenField = options.tokenField ?? '_csrf';
    this.#onRejected = options.onRejected;
  }

  /** `null` to let the request through, else the refusal (also reported to `onRejected`). */
  check(input: CsrfInput): CsrfRejectedError | null {
    const reason = this.#reason(input);
    if (reason === null) return null;
    const error = new CsrfRejectedError(reason);
    if (this.#onRejected !== undefined) {
      try {
        this.#onRejected(error);
      } catch {
        // a logging hook cannot change the answer
      }
    }
    return error;
  }

  #reason(input: CsrfInput): CsrfReason | null {
    if (SAFE.has(input.method.toUpperCase())) return null;
    if (this.#bypassExact.has(input.path) || this.#bypassPatterns.some((p) => p.test(input.path))) return null;
    const origin = input.origin;
    if (origin !== undefined && this.#trusted.has(origin)) return null;
    const site = input.secFetchSite?.toLowerCase();
    if (site !== undefined) {
      if (site === 'same-origin' || site === 'none') return null;
      if (site === 'same-site') return this.#allowSameSite ? null : 'same-site';
      return 'cross-site'; // cross-site, or a value no browser sends
    }
    if (origin !== undefined) {
      // No Fetch Metadata (older browsers, or plain HTTP to a non-localhost host): Origin against Host.
      return sameHost(origin, input.host) ? null : 'cross-origin';
    }
    if (!this.#requireToken) return null;
    return this.#tokenReason(input);
  }

  #tokenReason(input: CsrfInput): CsrfReason | null {
    if (input.token === undefined || input.token.length === 0) return 'no-token';
    const stored = input.sessionToken();
    return stored !== undefined && constantTimeEqual(input.token, stored) ? null : 'bad-token';
  }
}

function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined || origin === 'null') return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    return false;
  }
}

/** Constant-time for equal lengths (the token's length is not a secret). */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The token a session holds, read from anything with `getValue()` (a SessionStore, a RequestSession). */
export function storedToken(session: { getValue(): { get(key: string): unknown } } | undefined | null): string | undefined {
  const t = session?.getValue().get(CSRF_KEY);
  return typeof t === 'string' ? t : undefined;
}

/**
 * Checks a presented token against the session's in constant time (for apps
 * that check by hand, e.g. in one route): false when the session has none.
 */
export function verifyCsrfToken(session: { getValue(): { get(key: string): unknown } }, presented: unknown): boolean {
  const stored = storedToken(session);
  return typeof presented === 'string' && stored !== undefined && constantTimeEqual(presented, stored);
}
