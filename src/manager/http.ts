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
  if (header.indexOf(name, first + 1) < 0) return onlyValue(header, name, first);
  const out: string[] = [];
  for (const part of header.split(';')) {
    const value = parseCookie(part)[name];
    if (value !== undefined) out.push(value);
  }
  return out;
}

/**
 * The value of the one pair named `name`, where `name` occurs once in the
 * header (at `at`), read in place as `cookie.parse` reads it (pairs split at
 * `;`, name and value trimmed of spaces and tabs, `%` decoded) without
 * parsing every other cookie into an object. An occurrence that is not a
 * pair's whole name (`xsid=`, or inside a value) means there is none.
 */
function onlyValue(header: string, name: string, at: number): string[] {
  for (let i = header.lastIndexOf(';', at - 1) + 1; i < at; i++) if (!isBlank(header.charCodeAt(i))) return [];
  let eq = at + name.length;
  while (eq < header.length && isBlank(header.charCodeAt(eq))) eq++;
  if (header.charCodeAt(eq) !== 0x3d /* = */) return [];
  const semi = header.indexOf(';', eq + 1);
  let start = eq + 1;
  let end = semi < 0 ? header.length : semi;
  while (start < end && isBlank(header.charCodeAt(start))) start++;
  while (end > start && isBlank(header.charCodeAt(end - 1))) end--;
  const raw = header.slice(start, end);
  if (raw.indexOf('%') < 0) return [raw];
  try {
    return [decodeURIComponent(raw)];
  } catch {
    return [raw];
  }
}

function isBlank(code: number): boolean {
  return code === 0x20 || code === 0x09;
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

/**
 * A Set-Cookie line; always HttpOnly. `maxAge` undefined = browser-session
 * cookie, 0 = delete. `token`: the value is a codec token (base64url), so its
 * characters need no check.
 */
export function setCookieLine(name: string, value: string, attrs: CookieAttributes, maxAge: number | undefined, expires?: Date, token = false): string {
  const parts = linePartsFor(attrs);
  const at = expires?.getTime();
  if (parts !== null && COOKIE_NAME.test(name) && (token || COOKIE_VALUE.test(value)) && (at === undefined || Number.isFinite(at))) {
    return fastLine(parts, name, value, maxAge, at);
  }
  return serializeLine(name, value, attrs, maxAge, expires);
}

/** The `cookie` package's serialize with the Session's attributes: the reference every line matches. */
function serializeLine(name: string, value: string, attrs: CookieAttributes, maxAge: number | undefined, expires?: Date): string {
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

/*
 * Set-Cookie lines built by concatenation. The `cookie` package's serialize
 * spreads two option objects and re-checks every attribute per line: ~5 µs of
 * a ~500-byte line, on every cookie this library sets. The attributes are the Session's, fixed:
 * their text is built once, checked against that serialize (so the lines stay
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
      fastLine(candidate, 'n.1', 'v-_x', maxAge, expiresAt) === serializeLine('n.1', 'v-_x', attrs, maxAge, expiresAt === undefined ? undefined : new Date(expiresAt));
    if (same(3600, at) && same(undefined, undefined) && same(0, 0)) parts = candidate;
  } catch {
    // Attributes serialize rejects: leave every line to it (it throws there too).
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
