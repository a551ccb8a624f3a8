/**
 * MemcacheProvider's {@link RecordStore}: one item per record at
 * `prefix + 'rec:' + sha256hex(name)`, written with memcached's own
 * check-and-set (ADD when there is none, REPLACE with the CAS value read).
 * The version is that CAS value, hex.
 */
import { StoreUnavailableError } from '../../errors.js';
import { storeKey } from '../keys.js';
import { checkMemcacheKey } from './keys.js';
import type { RecordStore, VersionedRecord } from '../provider.js';

/** The provider's request function (binary protocol): opcode, key, extras, value, what, cas. */
export type MemcacheOp = (
  opcode: number,
  key: string,
  extras: Buffer,
  value: Buffer,
  what: string,
  cas?: Buffer,
) => Promise<{ header: { status?: number; cas?: Buffer }; val: Buffer }>;

const OP_GET = 0x00;
const OP_ADD = 0x02;
const OP_REPLACE = 0x03;
const ST_OK = 0x00;
const ST_NOT_FOUND = 0x01;
const ST_EXISTS = 0x02;
const ST_NOT_STORED = 0x05;
/** memcached reads a relative expiry above 30 days as a Unix time. */
const MAX_RELATIVE_EXPIRY = 60 * 60 * 24 * 30;
const EMPTY = Buffer.alloc(0);

export class MemcacheRecords implements RecordStore {
  readonly #op: MemcacheOp;
  readonly #prefix: string;

  constructor(op: MemcacheOp, prefix: string) {
    this.#op = op;
    this.#prefix = prefix + 'rec:';
  }

  keyFor(name: string): string {
    const key = storeKey(this.#prefix, name);
    checkMemcacheKey(key);
    return key;
  }

  async get(name: string): Promise<VersionedRecord | null> {
    const res = await this.#op(OP_GET, this.keyFor(name), EMPTY, EMPTY, 'record get');
    const status = res.header.status ?? ST_OK;
    if (status === ST_NOT_FOUND) return null;
    if (status !== ST_OK) throw new StoreUnavailableError(`memcached answered record get: status 0x${status.toString(16)}`);
    return { text: res.val.toString('utf8'), version: (res.header.cas ?? Buffer.alloc(8)).toString('hex') };
  }

  async put(name: string, text: string, version: string | null, ttl: number): Promise<boolean> {
    const extras = Buffer.alloc(8);
    extras.writeUInt32BE(ttl > MAX_RELATIVE_EXPIRY ? Math.floor(Date.now() / 1000) + ttl : ttl, 4);
    const value = Buffer.from(text, 'utf8');
    const res =
      version === null
        ? await this.#op(OP_ADD, this.keyFor(name), extras, value, 'record put')
        : await this.#op(OP_REPLACE, this.keyFor(name), extras, value, 'record put', Buffer.from(version, 'hex'));
    const status = res.header.status ?? ST_OK;
    if (status === ST_OK) return true;
    if (status === ST_EXISTS || status === ST_NOT_STORED || status === ST_NOT_FOUND) return false;
    throw new StoreUnavailableError(`memcached answered record put: status 0x${status.toString(16)}`);
  }
}
