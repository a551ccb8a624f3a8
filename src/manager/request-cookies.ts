// The file, not the bare name (see http.ts): esbuild's neutral platform ignores cookie's "main".
import { parse as parseCookie } from 'cookie/dist/index.js';
import { HeadersSentError } from '../errors.js';
import type { RequestCookies } from '../providers/provider.js';
import { putSetCookie, setCookieLine, type CookieAttributes, type SessionRequest, type SessionResponse } from './http.js';

const EPOCH = new Date(0);

/**
 * `RequestCookies.set` for a value the codec sealed (base64url by
 * construction), as `ManagerRequestCookies` offers it: the line skips the
 * per-character cookie-value check, ~2 µs for a 4 KB chunk. Internal to
 * this package (CookieProvider); other providers go through `set`.
 * @internal
 */
export const SET_TOKEN: unique symbol = Symbol('wasm-session.setToken');

/** @internal */
export interface TokenCookies {
  [SET_TOKEN](name: string, token: string, expiresAt: number | undefined): void;
}

/**
 * The manager's side of `Provider.forRequest`: one request's Cookie header,
 * parsed once on first use, and Set-Cookie lines queued through the same
 * `lines` map as the session cookie's, so writeHead merging, the framed 500
 * (which drops them) and the adapters' collectors treat them alike.
 * @internal
 */
export class ManagerRequestCookies implements RequestCookies {
  readonly #req: SessionRequest;
  readonly #res: SessionResponse;
  readonly #lines: Map<string, string>;
  readonly #attrs: CookieAttributes;
  readonly #lineParts: LineParts | null;
  #parsed: Map<string, string[]> | null = null;

  constructor(req: SessionRequest, res: SessionResponse, lines: Map<string, string>, attrs: CookieAttributes) {
    this.#req = req;
    this.#res = res;
    this.#lines = lines;
    this.#attrs = attrs;
    this.#lineParts = linePartsFor(attrs);
  }

  get headersSent(): boolean {
    return this.#res.headersSent === true;
  }

  get(name: string): readonly string[] {
    if (this.#parsed === null) this.#parsed = parseAll(this.#req.headers.cookie);
    return this.#parsed.get(name) ?? NONE;
  }

  set(name: string, value: string, expiresAt: number | undefined): void {
    this.#set(name, value, expiresAt, false);
  }

  /** {@link SET_TOKEN}: `set` for a codec token. */
  [SET_TOKEN](name: string, token: string, expiresAt: number | undefined): void {
    this.#set(name, token, expiresAt, true);
  }

  #set(name: string, value: string, expiresAt: number | undefined, token: boolean): void {
    if (this.#res.headersSent === true) throw new HeadersSentError(`cannot set cookie ${name}: headers already sent (save the session before writing the response)`);
    let maxAge: number | undefined;
    if (expiresAt !== undefined) maxAge = Math.max(1, Math.ceil((expiresAt - Date.now()) / 1000));
    const parts = this.#lineParts;
    const line = parts !== null && COOKIE_NAME.test(name) && (token || COOKIE_VALUE.test(value))
      ? fastLine(parts, name, value, maxAge, expiresAt)
      : setCookieLine(name, value, this.#attrs, maxAge, expiresAt === undefined ? undefined : new Date(expiresAt));
    this.#put(name, line);
  }

  clear(name: string): void {
    if (this.#res.headersSent === true) return;
    this.#put(name, setCookieLine(name, '', this.#attrs, 0, EPOCH));
  }

  #put(name: string, line: string): void {
    putSetCookie(this.#res, line, this.#lines.get(name));
    this.#lines.set(name, line);
  }
}

const NONE: readonly string[] = Object.freeze([]);

/*
 * The value cookies' Set-Cookie lines, built by concatenation. `setCookieLine`
 * (the `cookie` package's serialize) spreads two option objects and re-checks
 * every attribute per line: ~5 µs of a ~500-byte line, one to four lines per
 * changed request on CookieProvider. The attributes are the Session's, fixed:
 * their text is built once, checked against `setCookieLine` (so the lines stay
 * byte-identical to it, or this path is not used), and only the name and value
 * are checked per line, with the `cookie` package's own patterns.
 */
interface LineParts {
  /** `; Domain=…; Path=…` (what goes between Max-Age and Expires). */
  readonly middle: string;
  /** `; HttpOnly; Secure; SameSite=…` */
  readonly tail: string;
}

/** The `cookie` package's cookie-name and cookie-value patterns (RFC 6265 4.1.1, as that package widens them). */
const COOKIE_NAME = /^[\u0021-\u003A\u003C\u003E-\u007E]+$/;
const COOKIE_VALUE = /^[\u0021-\u003A\u003C-\u007E]*$/;
const SAME_SITE = { lax: 'Lax', strict: 'Strict', none: 'None' } as const;
const partsCache = new WeakMap<CookieAttributes, LineParts | null>();
/** The last Expires rendered: a session's value cookies share one expiry (its creation + cookieExpire). */
let lastExpiresAt = Number.NaN;
let lastExpires = '';

function linePartsFor(attrs: CookieAttributes): LineParts | null {
  let parts = partsCache.get(attrs);
  if (parts !== undefined) return parts;
  const candidate: LineParts = {
    middle: (attrs.domain ? `; Domain=${attrs.domain}` : '') + (attrs.path ? `; Path=${attrs.path}` : ''),
    tail: `; HttpOnly${attrs.secure ? '; Secure' : ''}; SameSite=${SAME_SITE[attrs.sameSite]}`,
  };
  parts = null;
  try {
    const at = Date.UTC(2030, 0, 2, 3, 4, 5);
    const same = (maxAge: number | undefined, expiresAt: number | undefined): boolean =>
      fastLine(candidate, 'n.1', 'v-_x', maxAge, expiresAt) === setCookieLine('n.1', 'v-_x', attrs, maxAge, expiresAt === undefined ? undefined : new Date(expiresAt));
    if (same(3600, at) && same(undefined, undefined) && same(0, 0)) parts = candidate;
  } catch {
    // Attributes setCookieLine rejects: leave every line to it (it throws there too).
  }
  partsCache.set(attrs, parts);
  return parts;
}

function fastLine(parts: LineParts, name: string, value: string, maxAge: number | undefined, expiresAt: number | undefined): string {
  let line = `${name}=${value}`;
  if (maxAge !== undefined) line += `; Max-Age=${maxAge}`;
  line += parts.middle;
  if (expiresAt !== undefined) {
    if (expiresAt !== lastExpiresAt) {
      lastExpires = new Date(expiresAt).toUTCString();
      lastExpiresAt = expiresAt;
    }
    line += `; Expires=${lastExpires}`;
  }
  return line + parts.tail;
}

/** Every cookie of the header, by name, each name's values in order. */
function parseAll(header: string | undefined): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (header === undefined || header.length === 0) return out;
  // The common case: one parse of the whole header. It keeps only a name's
  // first value, so it is used only when every `=`-pair gave its own name
  // (no duplicates, nothing skipped); otherwise part by part below.
  const whole = parseCookie(header);
  let pairs = 0;
  for (let at = 0; at < header.length; ) {
    let end = header.indexOf(';', at);
    if (end < 0) end = header.length;
    const eq = header.indexOf('=', at);
    if (eq >= 0 && eq < end) pairs++;
    at = end + 1;
  }
  let names = 0;
  for (const name in whole) if (whole[name] !== undefined) names++;
  if (names === pairs) {
    for (const name in whole) {
      const value = whole[name];
      if (value !== undefined) out.set(name, [value]);
    }
    return out;
  }
  for (const part of header.split(';')) {
    const parsed = parseCookie(part);
    for (const name in parsed) {
      const value = parsed[name];
      if (value === undefined) continue;
      const list = out.get(name);
      if (list === undefined) out.set(name, [value]);
      else list.push(value);
    }
  }
  return out;
}

/** Characters the Session's attributes add to a Set-Cookie line, at their longest (Max-Age with the most digits). */
export function attributesLength(attrs: CookieAttributes, cookieExpire: number): number {
  // 'x=' + attributes; an Expires date always has the same length (IMF-fixdate).
  const line = cookieExpire > 0 ? setCookieLine('x', '', attrs, cookieExpire, EPOCH) : setCookieLine('x', '', attrs, undefined);
  return line.length - 2;
}
