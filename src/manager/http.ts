// The file, not the bare name: cookie 1.x is CommonJS with only a "main" field, which
// esbuild's neutral platform ignores; a path needs no main field (no bundler flag for users).
import { parse as parseCookie, serialize as serializeCookie, type SerializeOptions } from 'cookie/dist/index.js';

/**
 * The request as the manager needs it: `node:http`'s IncomingMessage, or
 * anything with the raw `Cookie` header at `headers.cookie`.
 */
export interface SessionRequest {
  readonly headers: { readonly cookie?: string | undefined };
}

/**
 * The response as the manager needs it: `node:http`'s ServerResponse, or
 * anything with `getHeader`/`setHeader`. With `writeHead` and `end` (Node),
 * cookies of lazily created sessions and changed values are written
 * automatically before the headers go out; without them call `store.save()`.
 */
export interface SessionResponse {
  getHeader(name: string): number | string | readonly string[] | undefined;
  setHeader(name: string, value: number | string | readonly string[]): unknown;
  removeHeader?(name: string): unknown;
  readonly headersSent?: boolean;
  statusCode?: number;
  writeHead?(...args: never[]): unknown;
  end?(...args: never[]): unknown;
}

/**
 * Every value of cookie `name` in a Cookie header, in order. The common case
 * (one cookie of the name) is one `cookie.parse`; duplicates (a parent-domain
 * cookie next to a host cookie, or an attack) are split out so the caller can
 * take the one that opens.
 */
export function cookieValues(header: string | undefined, name: string): string[] {
  if (header === undefined || header.length === 0) return [];
  // Substring scans are cheap; a second hit (even a false one like `xsid`) takes the careful path.
  const first = header.indexOf(name);
  if (first < 0) return [];
  if (header.indexOf(name, first + 1) < 0) {
    const value = parseCookie(header)[name];
    return value === undefined ? [] : [value];
  }
  const out: string[] = [];
  for (const part of header.split(';')) {
    const value = parseCookie(part)[name];
    if (value !== undefined) out.push(value);
  }
  return out;
}

/** Appends `line` to the response's Set-Cookie list, replacing `previous` (a line this library set) if present. */
export function putSetCookie(res: SessionResponse, line: string, previous: string | undefined): void {
  const current = res.getHeader('set-cookie');
  let list: string[];
  if (current === undefined) list = [];
  else if (Array.isArray(current)) list = [...(current as readonly string[])];
  else list = [String(current)];
  if (previous !== undefined) {
    const i = list.lastIndexOf(previous);
    if (i >= 0) list.splice(i, 1);
  }
  list.push(line);
  res.setHeader('Set-Cookie', list);
}

/** Removes `line` (set by this library) from the response's Set-Cookie list. */
export function dropSetCookie(res: SessionResponse, line: string): void {
  const current = res.getHeader('set-cookie');
  if (current === undefined) return;
  const list = Array.isArray(current) ? [...(current as readonly string[])] : [String(current)];
  const i = list.lastIndexOf(line);
  if (i < 0) return;
  list.splice(i, 1);
  if (list.length === 0 && res.removeHeader) res.removeHeader('Set-Cookie');
  else res.setHeader('Set-Cookie', list);
}

export interface CookieAttributes {
  readonly path: string;
  readonly domain: string | undefined;
  readonly secure: boolean;
  readonly sameSite: 'lax' | 'strict' | 'none';
}

/** A Set-Cookie line; always HttpOnly. `maxAge` undefined = browser-session cookie, 0 = delete. */
export function setCookieLine(name: string, value: string, attrs: CookieAttributes, maxAge: number | undefined, expires?: Date): string {
  const options: SerializeOptions = {
    httpOnly: true,
    path: attrs.path,
    secure: attrs.secure,
    sameSite: attrs.sameSite,
  };
  if (attrs.domain !== undefined) options.domain = attrs.domain;
  if (maxAge !== undefined) options.maxAge = maxAge;
  if (expires !== undefined) options.expires = expires;
  // Tokens are base64url: nothing to escape, so skip encodeURIComponent.
  return serializeCookie(name, value, { ...options, encode: identity });
}

function identity(s: string): string {
  return s;
}
