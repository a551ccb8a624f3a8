/**
 * RedisProvider's {@link RecordStore}: one string key per record at
 * `prefix + 'rec:' + sha256hex(name)`, written by a single-key Lua script that
 * compares and sets in one step (atomic, Cluster-safe). The version is the
 * stored text itself: records are small, and no counter can drift.
 */
import type { Cluster, Redis } from 'ioredis';
import { SessionError, StoreUnavailableError } from '../../errors.js';
import { withDeadline } from '../deadline.js';
import { storeKey } from '../keys.js';
import type { RecordStore, VersionedRecord } from '../provider.js';

// ARGV = expect ('0' none / '1' this text), expected text, new text, ttl (0 = none).
const PUT_LUA = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if cur then return 0 end
elseif cur ~= ARGV[2] then return 0 end
local ttl = tonumber(ARGV[4])
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[3], 'EX', ttl) else redis.call('SET', KEYS[1], ARGV[3]) end
return 1`;

const CMD_PUT = 'wasmSessionRecordPut1';

type PutFn = (key: string, ...args: (string | number)[]) => Promise<unknown>;

function mapError(err: unknown): SessionError {
  return new StoreUnavailableError(`session store error: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

export class RedisRecords implements RecordStore {
  readonly #client: Redis | Cluster;
  readonly #prefix: string;
  readonly #timeout: number;

  constructor(client: Redis | Cluster, prefix: string, timeout: number) {
    this.#client = client;
    this.#prefix = prefix + 'rec:';
    this.#timeout = timeout;
    if (typeof (client as unknown as Record<string, unknown>)[CMD_PUT] !== 'function') client.defineCommand(CMD_PUT, { numberOfKeys: 1, lua: PUT_LUA });
  }

  /** The Redis key of record `name` (tests, inspection). */
  keyFor(name: string): string {
    return storeKey(this.#prefix, name);
  }

  async get(name: string): Promise<VersionedRecord | null> {
    const text = await withDeadline(this.#client.get(this.keyFor(name)), this.#timeout, 'record get', mapError);
    return text === null ? null : { text, version: text };
  }

  async put(name: string, text: string, version: string | null, ttl: number): Promise<boolean> {
    const put = (this.#client as unknown as Record<string, PutFn>)[CMD_PUT] as PutFn;
    const done = await withDeadline(
      put.call(this.#client, this.keyFor(name), version === null ? '0' : '1', version ?? '', text, ttl),
      this.#timeout,
      'record put',
      mapError,
    );
    return Number(done) === 1;
  }
}
