/** @module providers/memcache */
/**
 * Memcache provider (memjs), for one or several memcached servers.
 *
 * Layout: one item per session at `prefix + sha256hex(sid)`, holding the whole
 * Value as one JSON object. memjs spreads keys over its servers by hashing the
 * key. Requests go through memjs's `perform` (its connection handling, retries
 * and server choice) with binary-protocol frames built here, for what memjs's
 * helpers lack: GAT (restore + touch in one round trip), a TTL of 0 that means
 * "no expiry", and typed errors from status codes instead of log lines.
 *
 * Saves merge per key with check-and-set (the binary protocol's CAS field):
 * concurrent requests changing different keys of one session all keep their
 * change, as on Redis. memjs is only used as a type: the app passes its own client.
 */
import {
  CorruptRecordError,
  DuplicateIdError,
  InvalidConfigError,
  SessionError,
  SessionMovedError,
  SessionNotFoundError,
  StoreUnavailableError,
  ValueTooLargeError,
} from '../../errors.js';
import { Value } from '../../manager/value.js';
import { checkTimeout, checkTtl, withDeadline } from '../deadline.js';
import { DEFAULT_PREFIX, storeKey } from '../keys.js';
import { checkMemcacheKey, checkMemcachePrefix } from './keys.js';
import { CLAIM_MARK, decodeEntry, decodeMeta, encodeEntry, encodeMeta, hintOf, isClaim, lost } from '../meta.js';
import type { IndexedSession, IndexOptions, MetaStorer, Provider, ProviderDefaults, RenewOptions, RestoreOptions, SessionMeta, Storer, UserIndex } from '../provider.js';
import { ProviderStorer, type StorerBackend } from '../storer.js';
import { MemcacheRecords } from './records.js';
import { parseBounded, valueFromRecord } from '../record.js';

/** TTL used when neither the `ttl` option nor a Session's defaults gave one (seconds). */
export const FALLBACK_TTL = 1_800;

/** memcached's default item size limit (`-I`), in bytes. */
export const DEFAULT_MAX_ITEM_SIZE = 1024 * 1024;

/**
 * Room kept for memcached's per-item overhead (item header, CAS, suffix):
 * a record is refused client-side when key + value + this exceeds `maxItemSize`.
 */
const ITEM_OVERHEAD = 64;

/** memcached reads a relative expiry above 30 days as a Unix time. */
const MAX_RELATIVE_EXPIRY = 60 * 60 * 24 * 30;

export interface MemcacheProviderOptions {
  /** Store-key prefix. Default `sess:`. Prefix + 64 hash characters must be a valid memcached key. */
  prefix?: string;
  /** Idle timeout in seconds (the item's expiry); 0 = no expiry. Default: the Session's `sessionExpire`. */
  ttl?: number;
  /** Bound on each operation in milliseconds; past it the call rejects with `ERR_STORE_UNAVAILABLE`. Default 2000. */
  timeout?: number;
  /** The servers' item size limit (memcached `-I`), in bytes. Default 1 MiB. */
  maxItemSize?: number;
}

/** What a memjs response looks like (memjs `Response`). */
export interface MemjsResponse {
  header: { status?: number; opcode?: number; cas?: Buffer };
  extras: Buffer;
  val: Buffer;
}

/**
 * The part of a memjs `Client` this provider uses. A `memjs.Client` fits;
 * declared structurally so memjs stays a type-free optional peer.
 */
export interface MemjsClient {
  readonly seq: number;
  incrSeq(): void;
  perform(
    key: string,
    request: Buffer,
    seq: number,
    callback: (err: Error | null, response?: MemjsResponse | null) => void,
  ): void;
}

// Binary protocol opcodes and statuses used here.
const OP_GET = 0x00;
const OP_SET = 0x01;
const OP_ADD = 0x02;
const OP_REPLACE = 0x03;
const OP_DELETE = 0x04;
const OP_TOUCH = 0x1c;
const OP_GAT = 0x1d;
const ST_OK = 0x00;
const ST_NOT_FOUND = 0x01;
const ST_EXISTS = 0x02;
const ST_TOO_LARGE = 0x03;
const ST_NOT_STORED = 0x05;

const STATUS_TEXT: Record<number, string> = {
  0x04: 'invalid arguments',
  0x81: 'unknown command',
  0x82: 'out of memory',
  0x83: 'not supported',
  0x84: 'internal error',
  0x85: 'busy',
  0x86: 'temporary failure',
};

function frame(opcode: number, seq: number, key: string, extras: Buffer, value: Buffer, cas?: Buffer): Buffer {
  const keyBuf = Buffer.from(key, 'utf8');
  const buf = Buffer.alloc(24 + extras.length + keyBuf.length + value.length);
  buf.writeUInt8(0x80, 0); // request magic
  buf.writeUInt8(opcode, 1);
  buf.writeUInt16BE(keyBuf.length, 2);
  buf.writeUInt8(extras.length, 4);
  buf.writeUInt32BE(extras.length + keyBuf.length + value.length, 8);
  buf.writeUInt32BE(seq >>> 0, 12); // opaque: memjs matches responses by it
  if (cas !== undefined) cas.copy(buf, 16, 0, 8); // check-and-set: only if the item is unchanged
  extras.copy(buf, 24);
  keyBuf.copy(buf, 24 + extras.length);
  value.copy(buf, 24 + extras.length + keyBuf.length);
  return buf;
}

/**
 * memcached's expiry field: up to 30 days it is relative, above it an absolute
 * Unix time in 32 bits (until 2106). A TTL whose end does not fit would make
 * every write fail, so it is refused when the provider is set up.
 */
function checkMemcacheTtl(ttl: number): number {
  checkTtl(ttl);
  if (ttl > MAX_RELATIVE_EXPIRY && Math.floor(Date.now() / 1000) + ttl > 0xffffffff) {
    throw new InvalidConfigError(
      `ttl ${ttl} s is past what memcached can express (above 30 days it is an absolute 32-bit Unix time); use at most ${0xffffffff - Math.floor(Date.now() / 1000)} s`,
    );
  }
  return ttl;
}

/**
 * A record with metadata (a bound session) starts with this header line:
 * `#ws1 {"m":{...}}\n` then the Value's JSON. A plain record is the Value's
 * JSON alone, as before, so records without a user are unchanged.
 */
const HEAD = '#ws1 ';

/** A record as this process last wrote it (or read it), with its CAS: what the next save merges into. */
interface Written {
  cas: Buffer;
  fields: ReadonlyMap<string, string>;
  meta: SessionMeta | null;
}

/** One `save` waiting for its session's write. */
interface PendingSave {
  v: Value;
  replace: boolean;
  meta: SessionMeta | null;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface SaveQueue {
  pending: PendingSave[];
  running: boolean;
  last: Written | null;
}

interface Decoded {
  value: Value;
  meta: SessionMeta | null;
  /** A renewal alias: the sealed new ID, its key hash, and when the grace ends (Unix s; GAT would stretch the TTL). */
  alias?: { a: string; n: string; e: number };
}

function encodeRecord(v: Value, meta: SessionMeta | null): string {
  return meta === null ? v.serialize() : `${HEAD}{"m":${encodeMeta(meta)}}\n${v.serialize()}`;
}

function encodeAlias(alias: string, target: string, until: number, meta?: SessionMeta): string {
  const head = meta === undefined ? { a: alias, n: target, e: until } : { a: alias, n: target, e: until, m: JSON.parse(encodeMeta(meta)) as unknown };
  return `${HEAD}${JSON.stringify(head)}\n{}`;
}

function decodeRecord(text: string): Decoded {
  if (!text.startsWith(HEAD)) return { value: valueFromRecord(text), meta: null };
  const nl = text.indexOf('\n');
  if (nl < 0) throw new CorruptRecordError('session record header has no end');
  const head = parseBounded(text.slice(HEAD.length, nl), 'session record header', 4) as { m?: unknown; a?: unknown; n?: unknown; e?: unknown } | null;
  if (head === null || typeof head !== 'object') throw new CorruptRecordError('session record header is not a JSON object');
  const meta = head.m !== undefined ? decodeMeta(JSON.stringify(head.m)) : null;
  const out: Decoded = { value: valueFromRecord(text.slice(nl + 1)), meta };
  if (typeof head.a === 'string' && typeof head.n === 'string' && typeof head.e === 'number') out.alias = { a: head.a, n: head.n, e: head.e };
  return out;
}

/** Attempts of a check-and-set update (a user index, a save, a move) before giving up. */
const CAS_ATTEMPTS = 16;

const NONE = Buffer.alloc(0);

/** True when `v` holds exactly `fields` (same keys, same JSON). */
function sameFields(v: Value, fields: ReadonlyMap<string, string>): boolean {
  if (v.size !== fields.size) return false;
  for (const [k, json] of v.fieldMap()) if (fields.get(k) !== json) return false;
  return true;
}

function mapMemcacheError(err: unknown): SessionError {
  const message = err instanceof Error ? err.message : String(err);
  return new StoreUnavailableError(`session store error: ${message}`, { cause: err });
}

export class MemcacheProvider implements Provider, StorerBackend {
  readonly #client: MemjsClient;
  readonly #prefix: string;
  readonly #timeout: number;
  readonly #maxItemSize: number;
  #ttl: number;
  #ttlFixed: boolean;

  constructor(client: MemjsClient, options: MemcacheProviderOptions = {}) {
    this.#client = client;
    this.#prefix = options.prefix ?? DEFAULT_PREFIX;
    checkMemcachePrefix(this.#prefix);
    this.#timeout = checkTimeout(options.timeout);
    this.#ttlFixed = options.ttl !== undefined;
    this.#ttl = options.ttl === undefined ? FALLBACK_TTL : checkMemcacheTtl(options.ttl);
    const max = options.maxItemSize ?? DEFAULT_MAX_ITEM_SIZE;
    if (typeof max !== 'number' || !(max > ITEM_OVERHEAD)) {
      throw new InvalidConfigError(`maxItemSize must be a number of bytes > ${ITEM_OVERHEAD}, got ${String(max)}`);
    }
    this.#maxItemSize = max;
    this.records = new MemcacheRecords((...a) => this.#op(...a), this.#prefix);
    this.users = {
      ref: (sid) => this.#hash(sid),
      login: (sid, newSid, value, meta, options) => this.#login(sid, newSid, value, meta, options),
      logout: async (sid, userId) => {
        await this.destroy(sid);
        await this.#indexUpdate(userId, 0, (e) => {
          delete e[this.#hash(sid)];
        });
      },
      list: (userId, options) => this.#list(userId, options),
      destroy: (userId, refs) => this.#destroyRefs(userId, refs),
      revoked: async (sid) => {
        const res = await this.#op(OP_GET, this.#revokedKey(this.#hash(sid)), Buffer.alloc(0), Buffer.alloc(0), 'restore');
        return (res.header.status ?? ST_OK) === ST_OK;
      },
    };
  }

  /** A revocation tombstone: its own key, never written into by a save. */
  #revokedKey(ref: string): string {
    const key = this.#prefix + 'revoked:' + ref;
    checkMemcacheKey(key);
    return key;
  }

  /**
   * The user index (`session.login` and friends): one item per user at
   * `prefix + 'user:' + sha256hex(userId)`, a JSON object of entries keyed by
   * session key hash, updated with check-and-set (GET, then ADD/REPLACE with CAS).
   */
  readonly users: UserIndex;
  /** Compare-and-set records (remember-me series, device limits): see records.ts. */
  readonly records: MemcacheRecords;

  /** The memcached key of `userId`'s index. */
  indexKey(userId: string): string {
    const key = storeKey(this.#prefix + 'user:', userId);
    checkMemcacheKey(key);
    return key;
  }

  #hash(sid: string): string {
    return this.keyFor(sid).slice(this.#prefix.length);
  }

  get ttl(): number {
    return this.#ttl;
  }

  get prefix(): string {
    return this.#prefix;
  }

  /** The memcached key holding `sid` (for inspection and tests; never log it next to the ID). */
  keyFor(sid: string): string {
    const key = storeKey(this.#prefix, sid);
    checkMemcacheKey(key);
    return key;
  }

  useDefaults(defaults: ProviderDefaults): void {
    if (!this.#ttlFixed) this.#ttl = checkMemcacheTtl(defaults.ttl);
    if (defaults.lifetime !== undefined) this.#indexTtl = defaults.lifetime;
  }

  async new(sid: string, initial?: Value): Promise<Storer> {
    const value = initial ?? new Value();
    const status = await this.#store(OP_ADD, this.keyFor(sid), value, 'new');
    if (status === ST_EXISTS || status === ST_NOT_STORED) throw new DuplicateIdError();
    value.markSaved();
    return new ProviderStorer(this, sid, value);
  }

  async restore(sid: string, options: RestoreOptions = {}): Promise<Storer> {
    const key = this.keyFor(sid);
    // GAT reads and slides the expiry in one round trip.
    const res = options.touch
      ? await this.#op(OP_GAT, key, this.#expiry(), NONE, 'restore')
      : await this.#op(OP_GET, key, NONE, NONE, 'restore');
    const { value, meta, alias } = this.#decodeRecord(res);
    // Kept for the save: while nobody writes the record meanwhile, a save is one check-and-set write.
    if (res.header.cas !== undefined) this.#cas.set(value, { key, cas: res.header.cas });
    if (alias !== undefined) {
      // The grace is over, or a login's claim (gone for all but a concurrent login of the same user).
      if (alias.e <= Date.now() / 1000 || isClaim(alias.a)) throw new SessionNotFoundError();
      return new ProviderStorer(this, sid, value, meta, alias.a);
    }
    return meta === null ? new ProviderStorer(this, sid, value) : new ProviderStorer(this, sid, value, meta);
  }

  /** The key and CAS of the record each Value was last read from or written to (see `save`). */
  readonly #cas = new WeakMap<Value, { key: string; cas: Buffer }>();

  /**
   * Renewal: ADD the new ID with the data, then turn the old item into an
   * alias with check-and-set (a save that lands in between makes it retry, with
   * the fresher data copied over), then move the index entry.
   */
  async renew(sid: string, newSid: string, options: RenewOptions): Promise<MetaStorer | { alias: string } | null> {
    const newKey = this.keyFor(newSid);
    const oldKey = this.keyFor(sid);
    let value = options.value;
    const status = await this.#store(OP_ADD, newKey, value, 'refresh', options.meta);
    if (status === ST_EXISTS || status === ST_NOT_STORED) throw new DuplicateIdError();
    let copied = value.serialize();
    for (let attempt = 0; ; attempt++) {
      const res = await this.#op(OP_GET, oldKey, Buffer.alloc(0), Buffer.alloc(0), 'refresh');
      if ((res.header.status ?? ST_OK) === ST_NOT_FOUND) {
        await this.destroy(newSid);
        return null;
      }
      const old = this.#decodeRecord(res);
      if (old.alias !== undefined) {
        await this.destroy(newSid);
        return isClaim(old.alias.a) ? null : { alias: old.alias.a };
      }
      if (old.value.serialize() !== copied) {
        value = old.value;
        copied = value.serialize();
        await this.#store(OP_REPLACE, newKey, value, 'refresh', options.meta);
      }
      const grace = Math.max(1, options.grace);
      const body = Buffer.from(encodeAlias(options.alias, this.#hash(newSid), Math.floor(Date.now() / 1000) + grace), 'utf8');
      const frozen = (await this.#op(OP_REPLACE, oldKey, this.#extras(grace + 1), body, 'refresh', res.header.cas)).header.status ?? ST_OK;
      if (frozen === ST_OK) break;
      if ((frozen !== ST_EXISTS && frozen !== ST_NOT_FOUND) || attempt >= CAS_ATTEMPTS) throw this.#statusError(frozen, 'refresh');
    }
    const userId = options.meta.userId;
    if (userId !== undefined) {
      const entry = encodeEntry({ sidHint: hintOf(newSid), loginAt: options.meta.loginAt ?? Date.now(), label: options.meta.label ?? null });
      const oldHash = this.#hash(sid);
      const newHash = this.#hash(newSid);
      await this.#indexUpdate(userId, 0, (e) => {
        delete e[oldHash];
        e[newHash] = entry;
      });
    }
    return new ProviderStorer(this, newSid, value, options.meta);
  }

  /** A Storer for `sid` holding `value` (a save redirected from a renewed ID, a login joining the winner): its changes are merged in. */
  attach(sid: string, value: Value): Storer {
    return new ProviderStorer(this, sid, value);
  }

  /**
   * Moves the data to `newSid` (see #move): of concurrent refreshes of one
   * ID exactly one wins; the others find it gone (`SessionNotFoundError`).
   */
  async refresh(sid: string, newSid: string): Promise<Storer> {
    const moved = await this.#move(sid, newSid, null, null);
    return new ProviderStorer(this, newSid, moved.value);
  }

  /**
   * The move behind refresh and login, one exactly one caller wins: GET the
   * old record (with its CAS), ADD the copy at `newSid`, then claim the old
   * item with check-and-set: DELETE it (refresh) or REPLACE it by a claim for
   * `claim.grace` seconds (login; see `lost`). The keys may live on different
   * servers: the CAS on the old one's decides. A save that lands in between
   * fails the CAS: the fresher record is copied over and the claim retried.
   * A loser deletes its copy. At every moment one of the keys holds the data.
   */
  async #move(sid: string, newSid: string, meta: SessionMeta | null, claim: { alias: string; grace: number } | null): Promise<{ value: Value; meta: SessionMeta | null }> {
    const oldKey = this.keyFor(sid);
    const newKey = this.keyFor(newSid);
    let res = await this.#op(OP_GET, oldKey, NONE, NONE, 'refresh');
    let old = this.#decodeRecord(res);
    if (old.alias !== undefined) throw lost(old.alias.a, old.meta, meta);
    const status = await this.#store(OP_ADD, newKey, old.value, 'refresh', meta);
    if (status === ST_EXISTS || status === ST_NOT_STORED) throw new DuplicateIdError();
    let copied = old.value.serialize();
    for (let attempt = 1; ; attempt++) {
      let claimed: number;
      if (claim === null) {
        claimed = (await this.#op(OP_DELETE, oldKey, NONE, NONE, 'refresh', res.header.cas)).header.status ?? ST_OK;
      } else {
        const grace = Math.max(1, claim.grace);
        const body = Buffer.from(encodeAlias(CLAIM_MARK + claim.alias, this.#hash(newSid), Math.floor(Date.now() / 1000) + grace, { userId: meta?.userId as string }), 'utf8');
        claimed = (await this.#op(OP_REPLACE, oldKey, this.#extras(grace + 1), body, 'refresh', res.header.cas)).header.status ?? ST_OK;
      }
      if (claimed === ST_OK) return { value: old.value, meta: old.meta };
      if ((claimed !== ST_EXISTS && claimed !== ST_NOT_FOUND) || attempt >= CAS_ATTEMPTS) {
        await this.destroy(newSid);
        throw claimed === ST_EXISTS ? new StoreUnavailableError(`memcached: the session kept changing (${CAS_ATTEMPTS} check-and-set attempts)`) : this.#statusError(claimed, 'refresh');
      }
      // Changed (a save, another move) or gone since the read: read it again.
      res = await this.#op(OP_GET, oldKey, NONE, NONE, 'refresh');
      const gone = (res.header.status ?? ST_OK) === ST_NOT_FOUND;
      const again = gone ? null : this.#decodeRecord(res);
      if (again === null || again.alias !== undefined) {
        // Lost: no copy stays behind.
        await this.destroy(newSid);
        throw again === null ? new SessionNotFoundError() : lost((again.alias as { a: string }).a, again.meta, meta);
      }
      old = again;
      const text = old.value.serialize();
      if (text !== copied) {
        copied = text;
        await this.#store(OP_REPLACE, newKey, old.value, 'refresh', meta);
      }
    }
  }

  async destroy(sid: string): Promise<void> {
    const res = await this.#op(OP_DELETE, this.keyFor(sid), Buffer.alloc(0), Buffer.alloc(0), 'destroy');
    const status = res.header.status ?? ST_OK;
    if (status !== ST_OK && status !== ST_NOT_FOUND) throw this.#statusError(status, 'destroy');
  }

  /**
   * @internal Merges this request's changes into the record with
   * check-and-set. While nobody wrote the record since this request read it
   * (or last wrote it), the Value is the merge: one REPLACE with the CAS, one
   * round trip. Else: GET (with its CAS), apply this request's set and
   * deleted keys to what is stored, REPLACE with that CAS; retried on a
   * conflict (another writer between the two) a bounded number of times
   * within the timeout, then `StoreUnavailableError`. REPLACE never creates:
   * a session destroyed or expired meanwhile is not brought back.
   * `replace` (or `clean()`): the Value replaces every key.
   */
  save(sid: string, v: Value, replace = false, meta: SessionMeta | null = null): Promise<void> {
    // One write per session at a time in this process: check-and-set then only races other
    // processes. Saves that arrive while one is in flight are merged into one write (in order)
    // into the record the previous write left, whose CAS is known: one round trip for all of them.
    const key = this.keyFor(sid);
    let queue = this.#saveQueue.get(key);
    if (queue === undefined) this.#saveQueue.set(key, (queue = { pending: [], running: false, last: null }));
    const q = queue;
    return new Promise<void>((resolve, reject) => {
      q.pending.push({ v, replace, meta, resolve, reject });
      if (!q.running) void this.#drain(key, q);
    });
  }

  /** Per session key: this process's saves waiting, whether one write is in flight, and the record it left (with its CAS). */
  readonly #saveQueue = new Map<string, SaveQueue>();

  async #drain(key: string, q: SaveQueue): Promise<void> {
    q.running = true;
    while (q.pending.length > 0) {
      const batch = q.pending.splice(0);
      try {
        await this.#save(key, batch, q);
        for (const s of batch) s.resolve();
      } catch (err) {
        q.last = null;
        for (const s of batch) s.reject(err);
      }
    }
    q.running = false;
    this.#saveQueue.delete(key);
  }

  async #save(key: string, batch: readonly PendingSave[], q: SaveQueue): Promise<void> {
    const gone = (): SessionNotFoundError => new SessionNotFoundError('session expired or was destroyed before it was saved');
    // First try, no read: into the record the previous write left, or (none) the one the first
    // save's request read, whose CAS it kept: that Value, with its changes, is the record plus them.
    const head = batch[0] as PendingSave;
    const known = this.#cas.get(head.v);
    const first: Written | null = q.last ?? (known !== undefined && known.key === key ? { cas: known.cas, fields: head.v.fieldMap(), meta: head.meta } : null);
    if (first !== null) {
      const status = await this.#write(key, first, batch, q);
      if (status === ST_OK) return;
      if (status === ST_NOT_FOUND || status === ST_NOT_STORED) throw gone();
      // ST_EXISTS: another process wrote meanwhile; read and merge below.
    }
    const deadline = Date.now() + this.#timeout;
    for (let attempt = 1; ; attempt++) {
      const res = await this.#op(OP_GET, key, NONE, NONE, 'save');
      if ((res.header.status ?? ST_OK) === ST_NOT_FOUND) throw gone();
      let current: Decoded | null;
      try {
        current = this.#decodeRecord(res);
      } catch (err) {
        // An unreadable record is replaced by what the saves hold (as before merging); anything else is the store's failure.
        if (!(err instanceof CorruptRecordError)) throw err;
        current = null;
      }
      if (current?.alias !== undefined) {
        // A login's claim: the pre-login session must not reach the logged-in one. A renewal: redirect.
        if (isClaim(current.alias.a)) throw new SessionNotFoundError('session was logged in by another request before it was saved');
        throw new SessionMovedError(current.alias.a);
      }
      const base: Written =
        current === null
          ? { cas: res.header.cas ?? Buffer.alloc(8), fields: head.v.fieldMap(), meta: head.meta }
          : { cas: res.header.cas ?? Buffer.alloc(8), fields: current.value.fieldMap(), meta: current.meta };
      const written = await this.#write(key, base, batch, q);
      if (written === ST_OK) return;
      if (written === ST_NOT_FOUND || written === ST_NOT_STORED) throw gone();
      if (attempt >= CAS_ATTEMPTS || Date.now() >= deadline) {
        throw new StoreUnavailableError(`memcached: the session kept changing under this save (${attempt} check-and-set attempts)`);
      }
      // Another writer won this round: back off a little (jittered) before reading again.
      await new Promise((r) => setTimeout(r, Math.random() * 2 * attempt));
    }
  }

  /**
   * One check-and-set REPLACE: `base` (a record and its CAS) with each save's
   * changes applied in order (a whole replacement, `clean()` or `setValue`,
   * takes that save's every key). On success the queue keeps what was written.
   */
  async #write(key: string, base: Written, batch: readonly PendingSave[], q: SaveQueue): Promise<number> {
    const fields = new Map(base.fields);
    for (const { v, replace } of batch) {
      const changes = v.changes();
      if (replace || changes.cleared) {
        fields.clear();
        v.fieldMap().forEach((json, k) => fields.set(k, json));
        continue;
      }
      for (const k of changes.deleted) fields.delete(k);
      for (const [k, json] of changes.set) fields.set(k, json);
    }
    const merged = Value.fromFieldMap(fields);
    const status = await this.#store(OP_REPLACE, key, merged, 'save', base.meta, base.cas);
    const cas = this.#cas.get(merged);
    if (status === ST_OK && cas !== undefined) {
      q.last = { cas: cas.cas, fields, meta: base.meta };
      // A Value whose view is the record written keeps its CAS (its request's next save: one round
      // trip); one whose view lacks what the merge added goes through a read.
      for (const { v } of batch) {
        if (sameFields(v, fields)) this.#cas.set(v, { key, cas: cas.cas });
        else this.#cas.delete(v);
      }
    } else q.last = null;
    return status;
  }

  /** @internal */
  async touch(sid: string): Promise<void> {
    const res = await this.#op(OP_TOUCH, this.keyFor(sid), this.#expiry(), Buffer.alloc(0), 'touch');
    const status = res.header.status ?? ST_OK;
    if (status === ST_NOT_FOUND) throw new SessionNotFoundError();
    if (status !== ST_OK) throw this.#statusError(status, 'touch');
  }

  /** ADD/SET/REPLACE of the serialized Value; returns the status (OK or a "no" the caller interprets). */
  async #store(opcode: number, key: string, v: Value, what: string, meta: SessionMeta | null = null, cas?: Buffer): Promise<number> {
    const body = Buffer.from(encodeRecord(v, meta), 'utf8');
    const size = body.length + Buffer.byteLength(key) + ITEM_OVERHEAD;
    if (size > this.#maxItemSize) {
      throw new ValueTooLargeError(
        `session record is ${body.length} bytes; memcached's item size limit is ${this.#maxItemSize} bytes`,
      );
    }
    const extras = Buffer.alloc(8); // flags (0) + expiry
    this.#expiry().copy(extras, 4);
    const res = await this.#op(opcode, key, extras, body, what, cas);
    const status = res.header.status ?? ST_OK;
    if (status === ST_OK && res.header.cas !== undefined) this.#cas.set(v, { key, cas: res.header.cas });
    if (status === ST_OK || status === ST_EXISTS || status === ST_NOT_FOUND || status === ST_NOT_STORED) {
      return status;
    }
    throw this.#statusError(status, what);
  }

  #decodeRecord(res: MemjsResponse): Decoded {
    const status = res.header.status ?? ST_OK;
    if (status === ST_NOT_FOUND) throw new SessionNotFoundError();
    if (status !== ST_OK) throw this.#statusError(status, 'restore');
    return decodeRecord(res.val.toString('utf8'));
  }

  async #login(sid: string | null, newSid: string, value: Value, meta: SessionMeta, options: IndexOptions): Promise<MetaStorer> {
    const userId = meta.userId as string;
    let oldUser: string | undefined;
    if (sid !== null) {
      const claim = options.alias === undefined ? null : { alias: options.alias, grace: options.grace ?? 30 };
      oldUser = (await this.#move(sid, newSid, meta, claim)).meta?.userId;
    } else {
      const status = await this.#store(OP_ADD, this.keyFor(newSid), value, 'refresh', meta);
      if (status === ST_EXISTS || status === ST_NOT_STORED) throw new DuplicateIdError();
      value.markSaved();
    }
    const entry = encodeEntry({ sidHint: hintOf(newSid), loginAt: meta.loginAt ?? Date.now(), label: meta.label ?? null });
    const newHash = this.#hash(newSid);
    const oldHash = sid === null ? null : this.#hash(sid);
    await this.#indexUpdate(userId, options.indexTtl, (e) => {
      e[newHash] = entry;
      if (oldHash !== null && oldUser === userId) delete e[oldHash];
    });
    if (oldHash !== null && oldUser !== undefined && oldUser !== userId) {
      await this.#indexUpdate(oldUser, 0, (e) => {
        delete e[oldHash];
      });
    }
    // The request's own Value: changes it has not saved yet are merged in by its next save.
    return new ProviderStorer(this, newSid, value, meta);
  }

  /** Reads the index (entries by session key hash) and its CAS; `null` CAS = no index item. */
  async #indexRead(userId: string): Promise<{ entries: Record<string, string>; cas: Buffer | null }> {
    const res = await this.#op(OP_GET, this.indexKey(userId), Buffer.alloc(0), Buffer.alloc(0), 'restore');
    const status = res.header.status ?? ST_OK;
    if (status === ST_NOT_FOUND) return { entries: Object.create(null) as Record<string, string>, cas: null };
    if (status !== ST_OK) throw this.#statusError(status, 'restore');
    const entries = Object.create(null) as Record<string, string>;
    try {
      const parsed = parseBounded(res.val.toString('utf8'), 'user index', 4) as Record<string, unknown>;
      for (const [k, v] of Object.entries(parsed)) if (typeof v === 'string') entries[k] = v;
    } catch {
      // A broken index is rebuilt from what follows; its sessions are still bound (and expire).
    }
    return { entries, cas: res.header.cas ?? Buffer.alloc(8) };
  }

  /**
   * Check-and-set update of a user's index: read, change, write back only if
   * nobody wrote in between (else read again). `ttl` 0 keeps the default expiry of
   * the index (the provider's own TTL is not used: the index lives as long as its longest session).
   */
  #indexUpdate(userId: string, ttl: number, change: (entries: Record<string, string>) => void): Promise<void> {
    // One update per user at a time in this process: check-and-set then only races other processes.
    const previous = this.#indexQueue.get(userId) ?? Promise.resolve();
    const next = previous.then(
      () => this.#casUpdate(userId, ttl, change),
      () => this.#casUpdate(userId, ttl, change),
    );
    const tail = next.catch(() => {});
    this.#indexQueue.set(userId, tail);
    void tail.then(() => {
      if (this.#indexQueue.get(userId) === tail) this.#indexQueue.delete(userId);
    });
    return next;
  }

  readonly #indexQueue = new Map<string, Promise<void>>();

  async #casUpdate(userId: string, ttl: number, change: (entries: Record<string, string>) => void): Promise<void> {
    const key = this.indexKey(userId);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      // Another process won the race: back off a little (jittered) before reading again.
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.random() * 5 * attempt));
      const { entries, cas } = await this.#indexRead(userId);
      change(entries);
      const empty = Object.keys(entries).length === 0;
      let status: number;
      if (cas === null) {
        if (empty) return;
        status = (await this.#op(OP_ADD, key, this.#extras(ttl || this.#indexTtl), Buffer.from(JSON.stringify(entries)), 'refresh')).header.status ?? ST_OK;
      } else if (empty) {
        status = (await this.#op(OP_DELETE, key, Buffer.alloc(0), Buffer.alloc(0), 'destroy', cas)).header.status ?? ST_OK;
        if (status === ST_NOT_FOUND) return;
      } else {
        status = (await this.#op(OP_REPLACE, key, this.#extras(ttl || this.#indexTtl), Buffer.from(JSON.stringify(entries)), 'refresh', cas)).header.status ?? ST_OK;
      }
      if (status === ST_OK) return;
      if (status !== ST_EXISTS && status !== ST_NOT_STORED && status !== ST_NOT_FOUND) throw this.#statusError(status, 'index');
    }
    throw new StoreUnavailableError(`memcached: the user index kept changing (${CAS_ATTEMPTS} check-and-set attempts)`);
  }

  /** The index's TTL: the Session's cookieExpire (from useDefaults, or a login); 0 = none. */
  #indexTtl = 0;

  async #list(userId: string, options: IndexOptions): Promise<IndexedSession[]> {
    const { entries } = await this.#indexRead(userId);
    const refs = Object.keys(entries);
    if (refs.length === 0) return [];
    // memcached has no EXISTS: a GET per session (in parallel; they may live on different servers).
    const found = await Promise.all(
      refs.map(async (ref) => {
        const res = await this.#op(OP_GET, this.#prefix + ref, Buffer.alloc(0), Buffer.alloc(0), 'restore');
        const status = res.header.status ?? ST_OK;
        if (status !== ST_OK && status !== ST_NOT_FOUND) throw this.#statusError(status, 'restore');
        return status === ST_OK;
      }),
    );
    const out: IndexedSession[] = [];
    const dead: string[] = [];
    refs.forEach((ref, i) => {
      const entry = decodeEntry(entries[ref] as string);
      if (!found[i] || entry === null) dead.push(ref);
      // memcached cannot tell when an item was last touched: lastSeenAt is unknown.
      else out.push({ ref, sidHint: entry.sidHint, loginAt: entry.loginAt, label: entry.label, lastSeenAt: null });
    });
    if (dead.length > 0) {
      await this.#indexUpdate(userId, options.indexTtl, (e) => {
        for (const ref of dead) delete e[ref];
      });
    }
    return out;
  }

  async #destroyRefs(userId: string, refs: readonly string[]): Promise<number> {
    // Tombstones first (for reason 'revoked'), as long as an idle session could have lived.
    const tomb = this.#ttl > 0 ? this.#ttl : this.#indexTtl > 0 ? this.#indexTtl : 86_400;
    await Promise.all(refs.map((ref) => this.#op(OP_SET, this.#revokedKey(ref), this.#extras(tomb), Buffer.from('1'), 'destroy')));
    const statuses = await Promise.all(refs.map(async (ref) => (await this.#op(OP_DELETE, this.#prefix + ref, Buffer.alloc(0), Buffer.alloc(0), 'destroy')).header.status ?? ST_OK));
    await this.#indexUpdate(userId, 0, (e) => {
      for (const ref of refs) delete e[ref];
    });
    return statuses.filter((st) => st === ST_OK).length;
  }

  /** flags (0) + expiry for `ttl` seconds (0 = none). */
  #extras(ttl: number): Buffer {
    const extras = Buffer.alloc(8);
    extras.writeUInt32BE(ttl > MAX_RELATIVE_EXPIRY ? Math.floor(Date.now() / 1000) + ttl : ttl, 4);
    return extras;
  }

  #statusError(status: number, what: string): SessionError {
    if (status === ST_TOO_LARGE) {
      return new ValueTooLargeError(`memcached refused the session record as too large (${what})`);
    }
    const text = STATUS_TEXT[status] ?? `status 0x${status.toString(16)}`;
    return new StoreUnavailableError(`memcached answered ${what}: ${text}`);
  }

  /** The 4-byte expiry field for the current TTL. */
  #expiry(): Buffer {
    const buf = Buffer.alloc(4);
    const ttl = this.#ttl;
    // Above 30 days memcached wants an absolute Unix time (relies on client and server clocks agreeing).
    buf.writeUInt32BE(ttl > MAX_RELATIVE_EXPIRY ? Math.floor(Date.now() / 1000) + ttl : ttl, 0);
    return buf;
  }

  #op(opcode: number, key: string, extras: Buffer, value: Buffer, what: string, cas?: Buffer): Promise<MemjsResponse> {
    const client = this.#client;
    const op = new Promise<MemjsResponse>((resolve, reject) => {
      client.incrSeq();
      const seq = client.seq;
      client.perform(key, frame(opcode, seq, key, extras, value, cas), seq, (err, response) => {
        if (err) reject(err instanceof Error ? err : new Error(String(err)));
        else if (!response) reject(new Error('memcached sent no response'));
        else resolve(response);
      });
    });
    return withDeadline(op, this.#timeout, what, mapMemcacheError);
  }
}
export type { MemcacheRecords } from './records.js';
