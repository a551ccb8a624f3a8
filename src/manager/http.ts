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

/** A header value as a list of lines. */
export function headerList(value: number | string | readonly string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? [...(value as readonly string[])] : [String(value)];
}

/** The cookie name a Set-Cookie line sets (the text before the first `=`, trimmed). */
export function setCookieName(line: string): string {
  const eq = line.indexOf('=');
  return (eq < 0 ? line : line.slice(0, eq)).trim();
}

/**
 * Makes the response's Set-Cookie list hold the app's lines (already set, plus
 * `extra` from a `writeHead` headers argument) and every line this library
 * set (`ours`, by cookie name), whatever the app did to the header meanwhile:
 * `setHeader('Set-Cookie', …)` or `writeHead(…, { 'Set-Cookie': … })` replace
 * the whole list in Node. An app line for one of our cookie names is the
 * app's explicit choice: it wins, and our line for that name is left out.
 */
export function reconcileSetCookie(res: SessionResponse, ours: ReadonlyMap<string, string>, extra: readonly string[]): void {
  const current = headerList(res.getHeader('set-cookie'));
  // The common case: nothing from the app, every line of ours in place.
  if (extra.length === 0 && current.length === ours.size) {
    let same = true;
    for (const line of ours.values()) if (!current.includes(line)) same = false;
    if (same) return;
  }
  const mine = new Set(ours.values());
  const all = extra.length === 0 ? current : [...current, ...extra];
  const appNames = new Set<string>();
  for (const line of all) if (!mine.has(line)) appNames.add(setCookieName(line));
  const out: string[] = [];
  for (const line of all) {
    if (mine.has(line) && (appNames.has(setCookieName(line)) || out.includes(line))) continue;
    out.push(line);
  }
  for (const [name, line] of ours) if (!appNames.has(name) && !out.includes(line)) out.push(line);
  if (extra.length === 0 && out.length === current.length && out.every((l, i) => l === current[i])) return;
  if (out.length === 0) res.removeHeader?.('Set-Cookie');
  else res.setHeader('Set-Cookie', out);
}

/**
 * Takes the Set-Cookie entries out of a `writeHead` call's headers argument
 * (`writeHead(status, headers)` or `writeHead(status, message, headers)`;
 * an object with any letter case, or Node's flat `[name, value, …]` array),
 * returning the arguments without them (the same array when there are none)
 * and the lines they carried. The caller's headers object or array is not changed.
 */
export function takeWriteHeadCookies(args: unknown[]): { args: unknown[]; lines: string[] } {
  const at = typeof args[1] === 'string' ? 2 : 1;
  const headers = args[at];
  const lines: string[] = [];
  if (Array.isArray(headers)) {
    // A flat array: [name, value, name, value, ...] (Node rejects odd lengths itself).
    let found = false;
    for (let i = 0; i + 1 < headers.length; i += 2) if (isSetCookie(headers[i])) found = true;
    if (!found) return { args, lines };
    const rest: unknown[] = [];
    for (let i = 0; i < headers.length; i += 2) {
      if (isSetCookie(headers[i])) lines.push(...headerList(headers[i + 1] as string | readonly string[]));
      else rest.push(headers[i], headers[i + 1]);
    }
    const out = [...args];
    out[at] = rest;
    return { args: out, lines };
  }
  if (headers === null || typeof headers !== 'object') return { args, lines };
  const keys = Object.keys(headers);
  if (!keys.some(isSetCookie)) return { args, lines };
  const rest: Record<string, unknown> = {};
  for (const key of keys) {
    const v = (headers as Record<string, unknown>)[key];
    if (isSetCookie(key)) {
      if (v !== undefined) lines.push(...headerList(v as string | readonly string[]));
    } else {
      rest[key] = v;
    }
  }
  const out = [...args];
  out[at] = rest;
  return { args: out, lines };
}

function isSetCookie(name: unknown): boolean {
  return typeof name === 'string' && name.length === 10 && name.toLowerCase() === 'set-cookie';
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
