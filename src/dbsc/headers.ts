/**
 * The DBSC header fields, as RFC 9651 structured fields (the `structured-headers`
 * library serializes and parses them):
 *
 * - `Secure-Session-Registration: (ES256 RS256);path="/dbsc/register";challenge="…"` (a List of inner lists of tokens)
 * - `Secure-Session-Challenge: "…";id="…"` (a List of strings with an `id` parameter)
 * - `Secure-Session-Response: "<JWS>"` and `Sec-Secure-Session-Id: "<id>"` (sf-strings; parameters ignored)
 * @module
 */
import { parseItem, serializeList, Token } from 'structured-headers';
import type { DbscAlgorithm } from './jws.js';

export const REGISTRATION_HEADER = 'Secure-Session-Registration';
export const CHALLENGE_HEADER = 'Secure-Session-Challenge';
export const RESPONSE_HEADER = 'secure-session-response';
export const SESSION_ID_HEADER = 'sec-secure-session-id';

export function registrationHeader(algorithms: readonly DbscAlgorithm[], path: string, challenge: string, authorization?: string): string {
  const params = new Map<string, string>([
    ['path', path],
    ['challenge', challenge],
  ]);
  if (authorization !== undefined) params.set('authorization', authorization);
  return serializeList([[algorithms.map((a) => [new Token(a), new Map()]), params]]);
}

export function challengeHeader(challenge: string, sessionId: string): string {
  return serializeList([[challenge, new Map([['id', sessionId]])]]);
}

/**
 * An sf-string request header's string (`Secure-Session-Response`,
 * `Sec-Secure-Session-Id`); `null` when absent, repeated or not an sf-string.
 */
export function stringField(value: string | readonly string[] | undefined | null): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') {
    if (value.length !== 1) return null;
    value = value[0] as string;
  }
  if (value.length > 16384) return null;
  try {
    const [bare] = parseItem(value);
    return typeof bare === 'string' ? bare : null;
  } catch {
    return null;
  }
}
