/**
 * The user features of `CookieProvider` (`session.login` and friends), over
 * its revocation store. The session's binding (its `SessionMeta`) travels
 * sealed in the value cookies with the data, so a returning request costs
 * only the revocation lookup it already makes. What the server must know to
 * end a session from another device lives in the revocation store:
 *
 * - the per-user index: one small JSON document per user in the store's
 *   `RecordStore` (compare-and-set), entries keyed by a hash of the session
 *   ID, each holding the ID sealed (a dump of the store gives no usable ID);
 * - ending a session = a revocation record under its ID (what every restore
 *   already checks), marked so a later restore can say `reason: 'revoked'`.
 *
 * The store cannot see a cookie session being used: listings give
 * `lastSeenAt: null`, and the device limit's `evict` ends the oldest login.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { encodeBase64Url } from '../../crypto/format.js';
import type { Codec } from '../../crypto/types.js';
import { CorruptRecordError, InvalidConfigError, SessionNotFoundError, StoreUnavailableError, isSessionError } from '../../errors.js';
import { Value } from '../../manager/value.js';
import { decodeMeta, encodeMeta, hintOf } from '../meta.js';
import type { IndexedSession, MetaStorer, Provider, RecordStore, SessionMeta, UserIndex } from '../provider.js';
import { parseBounded } from '../record.js';

/** The revocation record's key marking a session ended by the index (`destroy`): its cookie then gets `reason: 'revoked'`. */
const BY_INDEX = 'byIndex';
/** Derivation label of a session's index reference (a space: never a cookie name). */
const REF_LABEL = 'wasm-session/cookie-ref ';
/** Derivation label of the codec that seals session IDs into the index. */
export const INDEX_CODEC_LABEL = 'wasm-session/cookie-index ';
/** Most sessions one user's index keeps: past it, the oldest logins are ended (an unindexed session could not be revoked). */
const MAX_ENTRIES = 2048;
const CAS_ATTEMPTS = 40;
const utf8 = new TextEncoder();

/** One indexed session: sid hint, login time, label, the ID sealed, when its cookie expires (ms; 0 = never). */
interface Entry {
  h: string;
  c: number;
  l: string | null;
  a: string;
  e: number;
}
type IndexDoc = Record<string, Entry>;

/** The first byte of a value payload that carries metadata (a Value's JSON always starts with `{`). */
const META_MARK = 0x01;
const NEWLINE = 0x0a;

/** The value cookies' payload: the Value's JSON, behind the metadata when the session has some. */
export function encodePayload(value: Value, meta: SessionMeta | null): string {
  const json = value.serialize();
  // JSON.stringify never writes a raw newline: the first one ends the metadata.
  return meta === null ? json : '\u0001' + encodeMeta(meta) + '\n' + json;
}

/** Splits a payload into metadata (or `null`) and the Value's JSON bytes. */
export function splitPayload(bytes: Uint8Array, decoder: TextDecoder): { meta: SessionMeta | null; json: Uint8Array } {
  if (bytes[0] !== META_MARK) return { meta: null, json: bytes };
  const end = bytes.indexOf(NEWLINE);
  if (end < 0) throw new CorruptRecordError('the session\'s value cookies hold metadata without its end');
  return { meta: decodeMeta(decoder.decode(bytes.subarray(1, end))), json: bytes.subarray(end + 1) };
}

/** The index's reference to a session: a hash of its ID (never a usable ID). */
export function cookieRef(sid: string): string {
  return encodeBase64Url(sha256(utf8.encode(REF_LABEL + sid)));
}

function docName(userId: string): string {
  return 'c\u0000' + userId;
}

function parseDoc(text: string): IndexDoc {
  const out = Object.create(null) as IndexDoc;
  try {
    const j = parseBounded(text, 'cookie session index', 3);
    if (j === null || typeof j !== 'object' || Array.isArray(j)) return out;
    for (const [ref, v] of Object.entries(j as Record<string, Partial<Entry> | null>)) {
      if (v !== null && typeof v === 'object' && typeof v.h === 'string' && typeof v.c === 'number' && typeof v.a === 'string' && typeof v.e === 'number') {
        out[ref] = { h: v.h, c: v.c, l: typeof v.l === 'string' ? v.l : null, a: v.a, e: v.e };
      }
    }
  } catch {
    // A broken index is rebuilt from what logs in next; its sessions end with their cookies.
  }
  return out;
}

/** What the index needs from its CookieProvider. */
export interface CookieUsersContext {
  readonly revocation: Provider;
  readonly records: RecordStore;
  /** The codec sealing session IDs into the index (known once a Session uses the provider). */
  codec(): Codec;
  /** The cookies' absolute lifetime in seconds (> 0 with a revocation store). */
  lifetime(): number;
}

/**
 * The per-user index of a CookieProvider, in its revocation store. `login`
 * needs the request's cookies: the per-request view (`forRequest`) does it
 * through {@link CookieUsers.bindLogin}; the Session's own `users.login`
 * refuses.
 */
export class CookieUsers implements UserIndex {
  readonly #ctx: CookieUsersContext;
  readonly #maxEntries: number;

  /** `maxEntries`: sessions one user's index keeps (a parameter for tests). */
  constructor(ctx: CookieUsersContext, maxEntries = MAX_ENTRIES) {
    this.#ctx = ctx;
    this.#maxEntries = maxEntries;
  }

  ref(sid: string): string {
    return cookieRef(sid);
  }

  login(): Promise<MetaStorer> {
    return Promise.reject(new InvalidConfigError('CookieProvider logs a session in through a Session (session.login): it needs the request\'s cookies'));
  }

  async logout(sid: string, userId: string): Promise<void> {
    await this.revoke(sid, false);
    await this.unindex(userId, [cookieRef(sid)]);
  }

  async list(userId: string): Promise<IndexedSession[]> {
    const got = await this.#ctx.records.get(docName(userId));
    if (got === null) return [];
    const doc = parseDoc(got.text);
    const now = Date.now();
    const codec = this.#ctx.codec();
    const refs = Object.keys(doc);
    // Live: not expired, and no revocation record (a destroy that reached the store but not the index).
    const live = await Promise.all(
      refs.map(async (ref) => {
        const e = doc[ref] as Entry;
        if (e.e > 0 && e.e <= now) return false;
        const opened = codec.openText(e.a);
        return opened.ok && !(await this.#isRevoked(opened.value));
      }),
    );
    const dead = refs.filter((_, i) => !live[i]);
    if (dead.length > 0) await this.unindex(userId, dead);
    const out: IndexedSession[] = [];
    refs.forEach((ref, i) => {
      if (!live[i]) return;
      const e = doc[ref] as Entry;
      // The store never sees a cookie session being used: when it was last seen is unknown.
      out.push({ ref, sidHint: e.h, loginAt: e.c, label: e.l, lastSeenAt: null });
    });
    return out;
  }

  async destroy(userId: string, refs: readonly string[]): Promise<number> {
    const got = await this.#ctx.records.get(docName(userId));
    if (got === null) return 0;
    const doc = parseDoc(got.text);
    const now = Date.now();
    const codec = this.#ctx.codec();
    // Revoked first: from the moment the index forgets them, nothing else could end them.
    const ended = await Promise.all(
      refs.map(async (ref) => {
        const e = doc[ref];
        if (e === undefined) return false;
        const opened = codec.openText(e.a);
        if (!opened.ok) return false;
        const fresh = await this.revoke(opened.value, true);
        return fresh && (e.e === 0 || e.e > now);
      }),
    );
    await this.unindex(userId, refs);
    return ended.filter(Boolean).length;
  }

  /** True when `sid` was ended by `destroy` (its revocation record says so). */
  async revoked(sid: string): Promise<boolean> {
    try {
      const storer = await this.#ctx.revocation.restore(sid);
      return storer.getValue().get(BY_INDEX) === true;
    } catch (err) {
      if (isSessionError(err, 'ERR_SESSION_NOT_FOUND')) return false;
      throw err;
    }
  }

  /**
   * Writes the revocation record of `sid` (create-if-absent); `true` when
   * this call wrote it, `false` when `sid` was revoked already (another
   * request won: a move of one ID has exactly one winner).
   */
  async revoke(sid: string, byIndex: boolean): Promise<boolean> {
    try {
      await this.#ctx.revocation.new(sid, new Value(byIndex ? { revoked: Date.now(), [BY_INDEX]: true } : { revoked: Date.now() }));
      return true;
    } catch (err) {
      if (isSessionError(err, 'ERR_DUPLICATE_ID')) return false;
      throw err;
    }
  }

  /** Indexes `sid` under `meta.userId` (replacing `replaces`, the same session's previous ref). */
  async index(sid: string, meta: SessionMeta, createdAt: number, replaces: string | null): Promise<void> {
    const lifetime = this.#ctx.lifetime();
    const entry: Entry = {
      h: hintOf(sid),
      c: meta.loginAt ?? createdAt,
      l: meta.label ?? null,
      a: this.#ctx.codec().seal(sid),
      e: lifetime > 0 ? createdAt + lifetime * 1000 : 0,
    };
    const ref = cookieRef(sid);
    const dropped = await this.#update(meta.userId as string, (doc) => {
      if (replaces !== null) delete doc[replaces];
      doc[ref] = entry;
      return true;
    });
    const codec = this.#ctx.codec();
    for (const e of dropped) {
      const opened = codec.openText(e.a);
      if (opened.ok) await this.revoke(opened.value, true);
    }
  }

  /** Removes `refs` from `userId`'s index. */
  async unindex(userId: string, refs: readonly string[]): Promise<void> {
    if (refs.length === 0) return;
    await this.#update(userId, (doc) => {
      let changed = false;
      for (const ref of refs) {
        if (doc[ref] !== undefined) {
          delete doc[ref];
          changed = true;
        }
      }
      return changed;
    });
  }

  async #isRevoked(sid: string): Promise<boolean> {
    try {
      await this.#ctx.revocation.restore(sid);
      return true;
    } catch (err) {
      if (isSessionError(err, 'ERR_SESSION_NOT_FOUND')) return false;
      throw err;
    }
  }

  /**
   * Read, change, write back only if nobody wrote in between (else again);
   * `change` returns false for no write. Resolves with the live entries
   * dropped past the bound (the caller ends them).
   */
  async #update(userId: string, change: (doc: IndexDoc) => boolean): Promise<Entry[]> {
    const records = this.#ctx.records;
    const name = docName(userId);
    const lifetime = this.#ctx.lifetime();
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      // Another server won the race: back off a little (jittered) before reading again.
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 2 * Math.min(attempt, 10)));
      const got = await records.get(name);
      const doc = got === null ? (Object.create(null) as IndexDoc) : parseDoc(got.text);
      if (!change(doc)) return [];
      const now = Date.now();
      const dropped: Entry[] = [];
      for (const [ref, e] of Object.entries(doc)) if (e.e > 0 && e.e <= now) delete doc[ref];
      const entries = Object.entries(doc);
      if (entries.length > this.#maxEntries) {
        entries.sort((a, b) => a[1].c - b[1].c);
        for (const [ref, e] of entries.slice(0, entries.length - this.#maxEntries)) {
          delete doc[ref];
          dropped.push(e);
        }
      }
      // The document lives as long as the longest-lived cookie it lists: each entry is at most `lifetime` old.
      if (await records.put(name, JSON.stringify(doc), got?.version ?? null, lifetime)) return dropped;
    }
    throw new StoreUnavailableError(`the user's cookie session index kept changing (${CAS_ATTEMPTS} check-and-set attempts)`);
  }
}

/** What the per-request user index needs from a CookieProvider's view of one request. */
export interface CookieRequestView {
  /** The binding of `sid` when it is the session this request holds, else `null`. */
  metaOf(sid: string): SessionMeta | null;
  /** Queues `sid`'s cookies with `meta` (throwing before any is queued: too large, headers out); it becomes the request's session. */
  bind(sid: string, value: Value, createdAt: number, meta: SessionMeta): MetaStorer;
  /** Clears the request's cookies of `sid`, revokes it, and removes it from `userId`'s index. */
  end(sid: string, userId: string | undefined): Promise<void>;
}

/** The user index as one request sees it: `login` seals the binding into its cookies, `logout` clears them. */
export function requestUsers(index: CookieUsers, view: CookieRequestView): UserIndex {
  return {
    ref: (sid) => index.ref(sid),
    list: (userId) => index.list(userId),
    destroy: (userId, refs) => index.destroy(userId, refs),
    revoked: (sid) => index.revoked(sid),
    login: (sid, newSid, value, meta) => login(index, view, sid, newSid, value, meta),
    logout: (sid, userId) => view.end(sid, userId),
  };
}

/**
 * Binds the session to `meta.userId` under `newSid`. The old ID is revoked
 * first (create-if-absent: of concurrent logins of one ID exactly one wins,
 * the others find it gone and log in fresh), then the new one is indexed,
 * then its cookies are queued.
 */
async function login(index: CookieUsers, view: CookieRequestView, sid: string | null, newSid: string, value: Value, meta: SessionMeta): Promise<MetaStorer> {
  const before = sid === null ? null : view.metaOf(sid);
  const userId = meta.userId as string;
  if (sid !== null) {
    if (!(await index.revoke(sid, false))) throw new SessionNotFoundError();
    if (before?.userId !== undefined && before.userId !== userId) await index.unindex(before.userId, [cookieRef(sid)]);
  }
  const createdAt = Date.now();
  await index.index(newSid, meta, createdAt, sid !== null && before?.userId === userId ? cookieRef(sid) : null);
  let storer: MetaStorer;
  try {
    storer = view.bind(newSid, value, createdAt, meta);
  } catch (err) {
    // Too large, or the headers are out: no session to list.
    await index.unindex(userId, [cookieRef(newSid)]).catch(() => undefined);
    throw err;
  }
  if (sid === null) value.markSaved();
  return storer;
}
