/**
 * RedisProvider's {@link RecordStore}: one string key per record at
 * `prefix + 'rec:' + sha256hex(name)`, written by a single-key Lua script that
 * compares and sets in one step (atomic, Cluster-safe). The version is the
 * stored text itself: records are small, and no counter can drift.
 */
import { SessionError, StoreUnavailableError } from '../../errors.js';
import { withDeadline } from '../deadline.js';
import { storeKey } from '../keys.js';
import type { RecordStore, VersionedRecord } from '../provider.js';
import type { RedisLink, Script } from './client.js';

// ARGV = expect ('0' none / '1' this text), expected text, new text, ttl (0 = none).
const PUT_LUA = `
local cur = redis.call('GET', KEYS[1])
if ARGV[1] == '0' then
  if cur then return 0 end
elseif cur ~= ARGV[2] then return 0 end
local ttl = tonumber(ARGV[4])
if ttl > 0 then redis.call('SET', KEYS[1], ARGV[3], 'EX', ttl) else redis.call('SET', KEYS[1], ARGV[3]) end
return 1`;

const S_PUT: Script = { name: 'wasmSessionRecordPut1', lua: PUT_LUA };

function mapError(err: unknown): SessionError {
  return new StoreUnavailableError(`session store error: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
}

export class RedisRecords implements RecordStore {
  readonly #link: RedisLink;
  readonly #prefix: string;
  readonly #timeout: number;

  /** @internal The provider makes it. */
  constructor(link: RedisLink, prefix: string, timeout: number) {
    this.#link = link;
    link.prepare([S_PUT]);
    this.#prefix = prefix + 'rec:';
    this.#timeout = timeout;
  }

  /** The Redis key of record `name` (tests, inspection). */
  keyFor(name: string): string {
    return storeKey(this.#prefix, name);
  }

  async get(name: string): Promise<VersionedRecord | null> {
    const key = this.keyFor(name);
    const text = await withDeadline(this.#link.send(key, ['GET', key]), this.#timeout, 'record get', mapError);
    return text === null || text === undefined ? null : { text: String(text), version: String(text) };
  }

  async put(name: string, text: string, version: string | null, ttl: number): Promise<boolean> {
    const done = await withDeadline(
      this.#link.script(S_PUT, this.keyFor(name), [version === null ? '0' : '1', version ?? '', text, ttl]),
      this.#timeout,
      'record put',
      mapError,
    );
    return Number(done) === 1;
  }
}
