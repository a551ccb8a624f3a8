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
  #parsed: Map<string, string[]> | null = null;

  constructor(req: SessionRequest, res: SessionResponse, lines: Map<string, string>, attrs: CookieAttributes) {
    this.#req = req;
    this.#res = res;
    this.#lines = lines;
    this.#attrs = attrs;
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
    this.#put(name, setCookieLine(name, value, this.#attrs, maxAge, expiresAt === undefined ? undefined : new Date(expiresAt), token));
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
