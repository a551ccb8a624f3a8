// A Provider over Cloudflare Workers KV: the "store that works there" of
// docs/runtimes.md, which shows this same code. KV is eventually consistent
// (a write can take up to a minute to show at other locations) and has no
// create-if-absent, so `new` checks first; its TTL floor is 60 s.
import { DuplicateIdError, SessionNotFoundError, StoreUnavailableError, Value } from 'wasm-session';

const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

export class KVProvider {
  #kv;
  #prefix;
  #ttl = 0;

  constructor(kv, { prefix = 'sess:' } = {}) {
    this.#kv = kv;
    this.#prefix = prefix;
  }

  useDefaults({ ttl }) {
    this.#ttl = ttl;
  }

  /** The key holds the SHA-256 of the ID, not the ID (a key listing yields no usable session). */
  async #key(sid) {
    return this.#prefix + hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(sid)));
  }

  async #kvCall(what, op) {
    try {
      return await op();
    } catch (cause) {
      throw new StoreUnavailableError(`KV ${what} failed: ${cause?.message ?? cause}`, { cause });
    }
  }

  #put(key, record) {
    const options = this.#ttl > 0 ? { expirationTtl: Math.max(60, this.#ttl) } : {};
    return this.#kvCall('put', () => this.#kv.put(key, record, options));
  }

  #storer(sid, key, value) {
    return {
      sessionID: () => sid,
      getValue: () => value,
      setValue: async (v) => {
        await this.#put(key, v.serialize());
        v.markSaved();
        value = v;
      },
      touch: () => this.#put(key, value.serialize()),
    };
  }

  async new(sid, initial = new Value()) {
    const key = await this.#key(sid);
    if ((await this.#kvCall('get', () => this.#kv.get(key))) !== null) throw new DuplicateIdError();
    await this.#put(key, initial.serialize());
    initial.markSaved();
    return this.#storer(sid, key, initial);
  }

  async restore(sid, options) {
    const key = await this.#key(sid);
    const record = await this.#kvCall('get', () => this.#kv.get(key));
    if (record === null) throw new SessionNotFoundError();
    const value = Value.deserialize(record); // CorruptRecordError for a record it cannot read
    if (options?.touch) await this.#put(key, record);
    return this.#storer(sid, key, value);
  }

  async refresh(sid, newSid) {
    const from = await this.restore(sid);
    const to = await this.new(newSid, Value.deserialize(from.getValue().serialize()));
    await this.destroy(sid);
    return to;
  }

  async destroy(sid) {
    const key = await this.#key(sid);
    await this.#kvCall('delete', () => this.#kv.delete(key));
  }
}
