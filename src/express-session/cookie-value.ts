import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Codec, OpenOptions, OpenTextResult } from '../crypto/types.js';
import { cookieValues } from '../manager/http.js';
import type { Secret } from './secrets.js';

/**
 * The session cookie's value: `sealed` (default), wasm-session's token (the ID
 * encrypted and authenticated, written `<header>.<sealed>`: see `dotSealed`), or `signed`, express-session's own
 * `s:<id>.<HMAC-SHA256>` (cookie-signature), written exactly as express-session
 * writes it so a team can go back to express-session without logging anyone out.
 */
export type CookieFormat = 'sealed' | 'signed';

/** What a request's cookie said, written onto the request's state. */
export interface CookieTarget {
  /** The session ID the cookie carried. */
  cookieId: string | undefined;
  /** The cookie's value when it is what this middleware would write for that ID now: sent back as it is. */
  cookieToken: string | undefined;
  /** The response must carry a new cookie even if nothing changed (other format, or an older secret). */
  replaceCookie: boolean;
}

/** What cookie-parser (mounted first) puts on `req`. */
interface ParsedCookies {
  cookies?: Record<string, unknown>;
  signedCookies?: Record<string, unknown>;
}

export interface CookieReader {
  readonly name: string;
  /** Opens sealed cookies as this middleware writes them (`<header>.<sealed>`), through the verified-token cache. */
  readonly opener: Pick<Codec, 'openText'>;
  /** Opens the undotted token earlier versions wrote (rare: such a cookie is replaced at once). */
  readonly plain: Pick<Codec, 'openText'>;
  readonly signed: boolean;
  /** Accept `s:` cookies in the sealed format (`legacyCookies`). */
  readonly legacy: boolean;
  /** `s:` values that verified under this reader's secrets (see `unsignCached`). */
  readonly verified: Map<string, Unsigned>;
}

/** A verified `s:` value: the session ID and the index of the secret that signed it. */
export interface Unsigned {
  readonly value: string;
  readonly index: number;
}

/** Bound on remembered signed cookies per secret list (~100 characters each). */
const VERIFIED_MAX = 10_000;

/**
 * `unsign`, answered from `cache` when this exact value verified before (a
 * returning browser sends the same cookie every time: one Map lookup instead
 * of an HMAC). Sound as the sealed tokens' cache (crypto/token-cache.ts):
 * entries are only made from values that verified, and the cache belongs to
 * one secret list. Bounded: the oldest entries go first.
 */
function unsignCached(signed: string, secrets: readonly Secret[], cache: Map<string, Unsigned>): Unsigned | null {
  const hit = cache.get(signed);
  if (hit !== undefined) return hit;
  const u = unsign(signed, secrets);
  if (u !== null) {
    if (cache.size >= VERIFIED_MAX) {
      const oldest = cache.keys().next();
      if (oldest.done !== true) cache.delete(oldest.value);
    }
    // A copy: the value is a slice of the request's Cookie header, which the cache must not keep alive.
    cache.set(JSON.parse(JSON.stringify(signed)) as string, u);
  }
  return u;
}

/**
 * The session ID from the request's cookie onto `t`, as express-session's
 * `getcookie`: the `Cookie` header first, then cookie-parser's
 * `req.signedCookies` (verified by cookie-parser) and `req.cookies`. A value
 * that neither opens nor verifies is no session (and never reaches the store).
 */
export function readCookie(t: CookieTarget, req: IncomingMessage, r: CookieReader, secrets: readonly Secret[]): void {
  const values = cookieValues(req.headers.cookie, r.name);
  if (values.length > 0 && readValues(t, values, r, secrets)) return;
  const parsed = req as IncomingMessage & ParsedCookies;
  const signedCookies = parsed.signedCookies;
  if (signedCookies !== undefined && signedCookies !== null && (r.signed || r.legacy)) {
    const v = signedCookies[r.name];
    if (typeof v === 'string' && v.length > 0) {
      t.cookieId = v;
      // Signed by cookie-parser's secret: keep it in the signed format, replace it in the sealed one.
      if (!r.signed) t.replaceCookie = true;
      return;
    }
  }
  const cookies = parsed.cookies;
  if (cookies !== undefined && cookies !== null) {
    const v = cookies[r.name];
    if (typeof v === 'string' && v.length > 0) readValues(t, [v], r, secrets);
  }
}

function readValues(t: CookieTarget, values: readonly string[], r: CookieReader, secrets: readonly Secret[]): boolean {
  for (const v of values) {
    const o = r.opener.openText(v);
    if (o.ok && o.value.length > 0) {
      t.cookieId = o.value;
      // Opened under an older secret, or the signed format is wanted: write a new cookie.
      if (r.signed || o.keyIndex > 0) t.replaceCookie = true;
      else t.cookieToken = v;
      return true;
    }
  }
  for (const v of values) {
    if (v.includes('.')) continue;
    const o = r.plain.openText(v);
    if (o.ok && o.value.length > 0) {
      t.cookieId = o.value;
      t.replaceCookie = true;
      return true;
    }
  }
  if (!r.signed && !r.legacy) return false;
  for (const v of values) {
    if (!v.startsWith('s:')) continue;
    const u = unsignCached(v.slice(2), secrets, r.verified);
    if (u === null || u.value.length === 0) continue;
    t.cookieId = u.value;
    if (r.signed && u.index === 0) t.cookieToken = v;
    else t.replaceCookie = true;
    return true;
  }
  return false;
}

/**
 * Characters of a sealed token before its ciphertext: the version, key-id
 * and IV bytes (18), which base64url writes as exactly 24 characters.
 */
const SEALED_HEAD = 24;
const DOT = 0x2e;
const NOT_DOTTED: OpenTextResult = { ok: false, reason: 'malformed' };

/**
 * The drop-in's sealed cookie: the token with a `.` between its header
 * (version, key id, random IV) and its ciphertext and tag — the shape of
 * express-session's `s:<id>.<signature>`. Code written against that cookie
 * (express-session's own tests, log scrubbers, tamper checks) splits at the
 * first `.`: it then finds a value that differs per cookie, and cutting
 * characters before the dot fails authentication as a bad signature does.
 * The bytes are the token's; only the separator is added.
 */
export function dotSealed(token: string): string {
  return token.slice(0, SEALED_HEAD) + '.' + token.slice(SEALED_HEAD);
}

/** `codec.openText` over dotted cookie values (`dotSealed`); anything else is malformed. */
export function dottedOpener(codec: Pick<Codec, 'openText'>): Pick<Codec, 'openText'> {
  return {
    openText(value: string, options?: OpenOptions): OpenTextResult {
      if (value.length <= SEALED_HEAD + 1 || value.charCodeAt(SEALED_HEAD) !== DOT) return NOT_DOTTED;
      return codec.openText(value.slice(0, SEALED_HEAD) + value.slice(SEALED_HEAD + 1), options);
    },
  };
}

/** cookie-signature's `sign`: `<value>.<base64 HMAC-SHA256, no padding>`. */
export function sign(value: string, secret: Secret): string {
  return value + '.' + createHmac('sha256', secret).update(value).digest('base64').replace(/=+$/, '');
}

/**
 * cookie-signature's `unsign` over a list of secrets (`s:` already stripped),
 * compared in constant time: the value and the index of the secret that
 * signed it, or null.
 */
export function unsign(input: string, secrets: readonly Secret[]): Unsigned | null {
  const dot = input.lastIndexOf('.');
  if (dot <= 0) return null;
  const value = input.slice(0, dot);
  const given = Buffer.from(input.slice(dot + 1), 'utf8');
  for (let i = 0; i < secrets.length; i++) {
    const expected = Buffer.from(createHmac('sha256', secrets[i] as Secret).update(value).digest('base64').replace(/=+$/, ''), 'utf8');
    if (expected.length === given.length && timingSafeEqual(expected, given)) return { value, index: i };
  }
  return null;
}
