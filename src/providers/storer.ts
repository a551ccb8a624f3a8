import type { Value } from '../manager/value.js';
import type { MetaStorer, SessionMeta } from './provider.js';

/** What a provider does for the Storers it hands out. */
export interface StorerBackend {
  /**
   * Persists `value` into the existing session `sid` (`SessionNotFoundError`
   * if it is gone: a late save must not resurrect a destroyed session).
   * `replace`: the value is not the one handed out, so it replaces everything.
   */
  save(sid: string, value: Value, replace: boolean, meta: SessionMeta | null): Promise<void> | void;
  touch(sid: string): Promise<void> | void;
  /**
   * True when `save` is done when it returns (a store in this process, like
   * MemoryProvider): the Storers then offer `setValueSync`, and a response
   * that changed its session goes out without waiting a turn for the save.
   */
  readonly synchronous?: boolean;
}

/** The Storer of the bundled providers: the per-store work lives in the provider. */
export class ProviderStorer implements MetaStorer {
  readonly #backend: StorerBackend;
  readonly #sid: string;
  #value: Value;
  readonly #meta: SessionMeta | null;
  readonly #alias: string | null;

  constructor(backend: StorerBackend, sid: string, value: Value, meta: SessionMeta | null = null, alias: string | null = null) {
    this.#backend = backend;
    this.#sid = sid;
    this.#value = value;
    this.#meta = meta;
    this.#alias = alias;
  }

  /** The record's metadata (user binding, ID issue time), or `null`. */
  meta(): SessionMeta | null {
    return this.#meta;
  }

  /** The renewal alias the record holds, or `null` for an ordinary session. */
  alias(): string | null {
    return this.#alias;
  }

  sessionID(): string {
    return this.#sid;
  }

  getValue(): Value {
    return this.#value;
  }

  async setValue(v: Value): Promise<void> {
    await this.#backend.save(this.#sid, v, v !== this.#value, this.#meta);
    v.markSaved();
    this.#value = v;
  }

  /** `setValue`, done before it returns when the backend is synchronous; `false` (nothing written) when it is not. */
  setValueSync(v: Value): boolean {
    if (this.#backend.synchronous !== true) return false;
    void this.#backend.save(this.#sid, v, v !== this.#value, this.#meta);
    v.markSaved();
    this.#value = v;
    return true;
  }

  async touch(): Promise<void> {
    await this.#backend.touch(this.#sid);
  }
}
