/**
 * A DBSC user agent written from the W3C draft (not from src/dbsc): it reads
 * `Secure-Session-Registration` off a response, makes a key pair (node:crypto
 * WebCrypto), posts the signed proof, keeps the session instructions and the
 * cached challenge, and refreshes the way §"Send request" says (403: retry
 * once with the challenge from `Secure-Session-Challenge`).
 */
import { webcrypto } from 'node:crypto';
import { parseList, parseItem, serializeItem, Token } from 'structured-headers';
import { Client, type TestResponse } from '../helpers/http.js';

export type Alg = 'ES256' | 'RS256';

export interface Instructions {
  session_identifier: string;
  refresh_url?: string;
  continue?: boolean;
  scope: { include_site: boolean; origin?: string; scope_specification?: unknown[] };
  credentials: { type: string; name: string; attributes?: string }[];
}

export interface Registration {
  algorithms: string[];
  path: string;
  challenge: string;
}

const b64 = (data: ArrayBuffer | Uint8Array | string): string => Buffer.from(typeof data === 'string' ? data : data instanceof Uint8Array ? data : new Uint8Array(data)).toString('base64url');

/** Parses `Secure-Session-Registration` as the spec's "process session registration" does. */
export function parseRegistration(header: string | string[] | undefined): Registration[] {
  if (header === undefined) return [];
  const out: Registration[] = [];
  for (const [member, params] of parseList(Array.isArray(header) ? header.join(', ') : header)) {
    if (!Array.isArray(member)) continue;
    const path = params.get('path');
    const challenge = params.get('challenge');
    if (typeof path !== 'string' || typeof challenge !== 'string') continue;
    out.push({ algorithms: member.map(([t]) => (t instanceof Token ? t.toString() : String(t))), path, challenge });
  }
  return out;
}

/** The challenges of `Secure-Session-Challenge` by session id. */
export function parseChallenges(header: string | string[] | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (header === undefined) return out;
  for (const [item, params] of parseList(Array.isArray(header) ? header.join(', ') : header)) {
    const id = params.get('id');
    if (typeof item === 'string' && typeof id === 'string') out.set(id, item);
  }
  return out;
}

export class DbscKey {
  private constructor(
    readonly alg: Alg,
    readonly pair: webcrypto.CryptoKeyPair,
    readonly jwk: webcrypto.JsonWebKey,
  ) {}

  static async generate(alg: Alg = 'ES256'): Promise<DbscKey> {
    const params =
      alg === 'ES256'
        ? { name: 'ECDSA', namedCurve: 'P-256' }
        : { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
    const pair = (await webcrypto.subtle.generateKey(params, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
    const full = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
    const jwk = alg === 'ES256' ? { kty: full.kty, crv: full.crv, x: full.x, y: full.y } : { kty: full.kty, n: full.n, e: full.e };
    return new DbscKey(alg, pair, jwk);
  }

  /** A DBSC proof (§ "DBSC Proof JWT Syntax"): header `typ`, `alg`, `jwk` at registration only; payload `jti`. */
  async proof(challenge: string, options: { withKey: boolean; header?: Record<string, unknown>; payload?: Record<string, unknown> }): Promise<string> {
    const header = { alg: this.alg, typ: 'dbsc+jwt', ...(options.withKey ? { jwk: this.jwk } : {}), ...options.header };
    const payload = { jti: challenge, ...options.payload };
    const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`;
    // WebCrypto's ECDSA signature is already JWS's raw r‖s.
    const algo = this.alg === 'ES256' ? { name: 'ECDSA', hash: 'SHA-256' } : { name: 'RSASSA-PKCS1-v1_5' };
    const sig = await webcrypto.subtle.sign(algo, this.pair.privateKey, new TextEncoder().encode(input));
    return `${input}.${b64(sig)}`;
  }
}

/** A browser with DBSC: a cookie jar (the Client) plus one device-bound session. */
export class DbscAgent {
  readonly http: Client;
  key: DbscKey | null = null;
  instructions: Instructions | null = null;
  challenge: string | null = null;
  lastProof: string | null = null;
  /** `continue: false` (or a 4xx) ended the session. */
  terminated = false;

  constructor(base: string, readonly alg: Alg = 'ES256') {
    this.http = new Client(base);
  }

  /** Registers from a response carrying `Secure-Session-Registration`; resolves with the registration response. */
  async register(from: TestResponse, options: { key?: DbscKey; tamper?: (proof: string) => string } = {}): Promise<TestResponse> {
    const [reg] = parseRegistration(from.headers['secure-session-registration'] as string | undefined);
    if (reg === undefined) throw new Error('no Secure-Session-Registration on the response');
    if (!reg.algorithms.includes(this.alg)) throw new Error(`server did not offer ${this.alg}: ${reg.algorithms.join(' ')}`);
    this.key = options.key ?? (await DbscKey.generate(this.alg));
    let proof = await this.key.proof(reg.challenge, { withKey: true });
    if (options.tamper) proof = options.tamper(proof);
    this.lastProof = proof;
    const res = await this.http.request(reg.path, { method: 'POST', headers: { 'secure-session-response': serializeItem(proof) } });
    if (res.status === 200) {
      this.instructions = JSON.parse(res.body) as Instructions;
      this.challenge = parseChallenges(res.headers['secure-session-challenge'] as string | undefined).get(this.instructions.session_identifier) ?? null;
    }
    return res;
  }

  get id(): string {
    if (this.instructions === null) throw new Error('not registered');
    return this.instructions.session_identifier;
  }

  /** One refresh request: the cached challenge signed (if any), no retry. */
  async refreshOnce(options: { challenge?: string | null; key?: DbscKey; withKey?: boolean; proof?: string } = {}): Promise<TestResponse> {
    const url = this.instructions?.refresh_url ?? '/';
    const headers: Record<string, string> = { 'sec-secure-session-id': serializeItem(this.id) };
    const challenge = options.challenge === undefined ? this.challenge : options.challenge;
    const key = options.key ?? this.key!;
    if (options.proof !== undefined) headers['secure-session-response'] = serializeItem(options.proof);
    else if (challenge !== null) {
      this.lastProof = await key.proof(challenge, { withKey: options.withKey ?? false });
      headers['secure-session-response'] = serializeItem(this.lastProof);
    }
    const res = await this.http.request(url, { method: 'POST', headers });
    const next = parseChallenges(res.headers['secure-session-challenge'] as string | undefined).get(this.id);
    if (next !== undefined) this.challenge = next;
    if (res.status === 200 && res.body.length > 0) {
      const body = JSON.parse(res.body) as Partial<Instructions>;
      if (body.continue === false) this.terminated = true;
    } else if (res.status >= 400 && res.status < 500 && res.status !== 403 && res.status !== 429) this.terminated = true;
    return res;
  }

  /** The spec's refresh: on 403, retry once with the challenge the 403 carried. */
  async refresh(options: { key?: DbscKey } = {}): Promise<TestResponse> {
    const first = await this.refreshOnce(options);
    if (first.status !== 403) return first;
    return this.refreshOnce(options);
  }

  /** The `Sec-Secure-Session-Id` value as the server must read it back. */
  static parseId(header: string): string {
    const [v] = parseItem(header);
    return String(v);
  }
}
