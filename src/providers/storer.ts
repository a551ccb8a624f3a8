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

  async touch(): Promise<void> {
    await this.#backend.touch(this.#sid);
  }
}
