/**
 * MemoryProvider's {@link RecordStore}: small versioned records in this
 * process (remember-me series, device limits). Compare-and-set is trivially
 * atomic here: nothing interleaves between the check and the write.
 */
import { LRUCache } from 'lru-cache';
import type { RecordStore, VersionedRecord } from '../provider.js';

interface Held {
  readonly text: string;
  readonly version: string;
}

export class MemoryRecords implements RecordStore {
  // Bounded like the sessions: a flood of users cannot grow it without end.
  readonly #records: LRUCache<string, Held>;
  #next = 0;

  constructor(max = 10_000) {
    this.#records = new LRUCache<string, Held>({ max, allowStale: false, ttlAutopurge: false });
  }

  async get(name: string): Promise<VersionedRecord | null> {
    return this.#records.get(name) ?? null;
  }

  async put(name: string, text: string, version: string | null, ttl: number): Promise<boolean> {
    const held = this.#records.get(name);
    if ((held?.version ?? null) !== version) return false;
    this.#records.set(name, { text, version: String(++this.#next) }, { ttl: ttl > 0 ? ttl * 1000 : 0 });
    return true;
  }
}
