import { serialize, type SerializeOptions } from 'cookie';

/** Cookie options, as express-session takes them (`cookie: { ... }`). */
export interface CookieOptions {
  /** Lifetime in ms from now (sets `expires`); `null`/undefined = a browser-session cookie. */
  maxAge?: number | null | undefined;
  /** Original `maxAge` (restored from a store record). */
  originalMaxAge?: number | null | undefined;
  expires?: Date | null | undefined;
  httpOnly?: boolean | undefined;
  path?: string | undefined;
  domain?: string | undefined;
  /** `'auto'`: Secure when the request is (see `proxy`). */
  secure?: boolean | 'auto' | undefined;
  /** `'auto'`: `none` over HTTPS, else `lax`. */
  sameSite?: boolean | 'lax' | 'strict' | 'none' | 'auto' | undefined;
  partitioned?: boolean | undefined;
  priority?: 'low' | 'medium' | 'high' | undefined;
  /** Other keys (from store records) are kept. */
  [key: string]: unknown;
}

/** The attributes a Cookie serializes and stores (`cookie.data`). */
export interface CookieData {
  originalMaxAge: number | null | undefined;
  partitioned: boolean | undefined;
  priority: 'low' | 'medium' | 'high' | undefined;
  expires: Date | null | undefined;
  secure: boolean | 'auto' | undefined;
  httpOnly: boolean | undefined;
  domain: string | undefined;
  path: string | undefined;
  sameSite: boolean | 'lax' | 'strict' | 'none' | 'auto' | undefined;
}

let warnedMaxAgeDate = false;

/**
 * A session's cookie, as express-session's `req.session.cookie`: per session,
 * mutable; `maxAge` reads the remaining ms and setting it moves `expires`.
 * Stored in the record as `toJSON()` (express-session's shape).
 */
export class Cookie {
  // `declare`: plain properties set in the constructor, as express-session's (no class-field defaults).
  declare path: string | undefined;
  declare httpOnly: boolean | undefined;
  declare domain: string | undefined;
  declare secure: boolean | 'auto' | undefined;
  declare sameSite: boolean | 'lax' | 'strict' | 'none' | 'auto' | undefined;
  declare partitioned: boolean | undefined;
  declare priority: 'low' | 'medium' | 'high' | undefined;
  declare originalMaxAge: number | null | undefined;
  /** @internal */
  declare _expires: Date | null | undefined;
  [key: string]: unknown;

  constructor(options?: CookieOptions) {
    this.path = '/';
    this.maxAge = null;
    this.httpOnly = true;
    if (options !== undefined && options !== null) {
      if (typeof options !== 'object') throw new TypeError('argument options must be a object');
      for (const key in options) {
        if (key !== 'data') (this as Record<string, unknown>)[key] = options[key];
      }
    }
    if (this.originalMaxAge === undefined || this.originalMaxAge === null) this.originalMaxAge = this.maxAge;
  }

  set expires(date: Date | null | undefined) {
    this._expires = date;
    this.originalMaxAge = this.maxAge;
  }

  get expires(): Date | null | undefined {
    return this._expires;
  }

  /** Remaining lifetime in ms (`null` without an expiry); setting it sets `expires` to now + ms. */
  set maxAge(ms: number | Date | null | undefined) {
    if (ms && typeof ms !== 'number' && !(ms instanceof Date)) throw new TypeError('maxAge must be a number or Date');
    if (ms instanceof Date && !warnedMaxAgeDate) {
      warnedMaxAgeDate = true;
      process.emitWarning('maxAge as Date; pass number of milliseconds instead', 'DeprecationWarning');
    }
    this.expires = typeof ms === 'number' ? new Date(Date.now() + ms) : (ms as Date | null | undefined);
  }

  get maxAge(): number | null | undefined {
    const e = this._expires;
    return e instanceof Date ? e.valueOf() - Date.now() : (e as null | undefined);
  }

  get data(): CookieData {
    return {
      originalMaxAge: this.originalMaxAge,
      partitioned: this.partitioned,
      priority: this.priority,
      expires: this._expires,
      secure: this.secure,
      httpOnly: this.httpOnly,
      domain: this.domain,
      path: this.path,
      sameSite: this.sameSite,
    };
  }

  /** A Set-Cookie line for `name=val` with this cookie's attributes (`val` URI-encoded, as express-session's). */
  serialize(name: string, val: string): string {
    return serializeData(name, val, this.data, true);
  }

  toJSON(): CookieData {
    return this.data;
  }
}

/** @internal A Set-Cookie line. `encode: false`: `val` is a base64url token, used as it is. */
export function serializeData(name: string, val: string, data: CookieData, encode: boolean): string {
  const e = data.expires;
  // express-session's message (cookie 0.7's; cookie 1.x appends the date).
  if (e instanceof Date && !Number.isFinite(e.valueOf())) throw new TypeError('option expires is invalid');
  if (encode) return serialize(name, val, options(data, true));
  const suffix = suffixFor(name, data);
  return e instanceof Date ? `${name}=${val}; Expires=${e.toUTCString()}${suffix}` : `${name}=${val}${suffix}`;
}

interface Suffix {
  readonly name: string;
  readonly path: unknown;
  readonly domain: unknown;
  readonly flags: number;
  readonly priority: unknown;
  readonly sameSite: unknown;
  /** `; Path=/; HttpOnly; ...`: everything after the value but Expires. */
  readonly text: string;
}

/**
 * Attribute suffixes by name and attributes, validated once by
 * `cookie.serialize`: only `Expires` and the value change per response. Most
 * apps send one cookie shape, found first and compared field by field (no
 * key string per response). Bounded: the most recent shapes.
 */
const suffixes: Suffix[] = [];
const MAX_SUFFIXES = 32;

function suffixFor(name: string, data: CookieData): string {
  const flags = (data.httpOnly ? 1 : 0) | (data.secure === true ? 2 : 0) | (data.partitioned ? 4 : 0);
  for (const s of suffixes) {
    if (s.name === name && s.path === data.path && s.domain === data.domain && s.flags === flags && s.priority === data.priority && s.sameSite === data.sameSite) return s.text;
  }
  const o = options(data, false);
  o.encode = identity;
  // Throws for a bad name, path or domain, as serialize would each time.
  const text = serialize(name, 'x', o).slice(name.length + 2);
  // Only primitives are remembered: an object attribute could stringify differently next time.
  const prim = (v: unknown): boolean => v === null || (typeof v !== 'object' && typeof v !== 'function');
  if (prim(data.path) && prim(data.domain) && prim(data.priority) && prim(data.sameSite)) {
    if (suffixes.length >= MAX_SUFFIXES) suffixes.pop();
    suffixes.unshift({ name, path: data.path, domain: data.domain, flags, priority: data.priority, sameSite: data.sameSite, text });
  }
  return text;
}

function options(data: CookieData, withExpires: boolean): SerializeOptions {
  const o: SerializeOptions = {};
  if (withExpires && data.expires instanceof Date) o.expires = data.expires;
  if (data.httpOnly) o.httpOnly = true;
  if (data.secure === true) o.secure = true;
  if (data.partitioned) o.partitioned = true;
  if (data.priority !== undefined) o.priority = data.priority;
  if (data.domain !== undefined) o.domain = data.domain;
  if (data.path !== undefined) o.path = data.path;
  const s = data.sameSite;
  if (s !== undefined && s !== false && s !== 'auto') o.sameSite = s;
  return o;
}

function identity(s: string): string {
  return s;
}
