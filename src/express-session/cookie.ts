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

  /** A Set-Cookie line for `name=val` with this cookie's attributes (`val` is not encoded: tokens are base64url). */
  serialize(name: string, val: string): string {
    return serializeData(name, val, this.data, false);
  }

  toJSON(): CookieData {
    return this.data;
  }
}

/** @internal */
export function serializeData(name: string, val: string, data: CookieData, encode: boolean): string {
  const options: SerializeOptions = {};
  if (data.expires instanceof Date) options.expires = data.expires;
  if (data.httpOnly) options.httpOnly = true;
  if (data.secure === true) options.secure = true;
  if (data.partitioned) options.partitioned = true;
  if (data.priority !== undefined) options.priority = data.priority;
  if (data.domain !== undefined) options.domain = data.domain;
  if (data.path !== undefined) options.path = data.path;
  const s = data.sameSite;
  if (s !== undefined && s !== false && s !== 'auto') options.sameSite = s;
  if (!encode) options.encode = identity;
  return serialize(name, val, options);
}

function identity(s: string): string {
  return s;
}
