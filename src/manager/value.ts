import { CorruptRecordError, DuplicateKeyError, InvalidValueError } from '../errors.js';

/** What JSON carries faithfully: what `Value.set` accepts. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * The shape of a session's data, for type checking. Empty by default:
 * declare it once in the app and every entry point (`Session`, the adapters'
 * `req.session` and the rest) is typed by it:
 *
 * ```ts
 * import http from 'node:http';
 * import { MemoryProvider, Session } from 'wasm-session';
 *
 * declare module 'wasm-session' {
 *   interface SessionData { user: { id: string; roles: string[] }; cart: number[] }
 * }
 *
 * const session = new Session(new MemoryProvider(), { cookieSecret: process.env.SESSION_SECRET! });
 * http.createServer(async (req, res) => {
 *   const user = (await session.start(req, res)).getValue().get('user'); // { id: string; roles: string[] } | undefined
 *   res.end(user?.roles.join(',') ?? 'anonymous');
 * });
 * ```
 *
 * Then `getValue().get('user')` is `{ id: string; roles: string[] } | undefined`,
 * and `set`/`add`/`del`/`has` take only these keys (`set` only values of the
 * key's type that JSON can carry). Left empty, keys are any string and values
 * `JsonValue`, checked at run time. Types claim, they don't check: a `schema`
 * on the Session checks each restored record.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface SessionData {}

/** The data type a `Value` has when none is given: {@link SessionData} once declared, else any string key to `JsonValue`. */
export type DefaultSessionData = keyof SessionData extends never ? Record<string, JsonValue> : SessionData;

/** The string keys of `D`. */
export type SessionKey<D> = Extract<keyof D, string>;

/** True for the loose default (string index), false for declared data. */
export type IsLoose<D> = string extends keyof D ? true : false;

/**
 * `T` as `set` accepts it: what JSON carries faithfully. Functions, symbols,
 * BigInt, `undefined` values, Dates, Maps, Sets and RegExps become `never`, so
 * passing one is a compile error where TypeScript can see it.
 */
export type JsonInput<T> = T extends string | number | boolean | null
  ? T
  : T extends bigint | symbol | undefined | ((...args: never[]) => unknown)
    ? never
    : T extends Date | RegExp | Map<unknown, unknown> | Set<unknown> | Promise<unknown>
      ? never
      : T extends readonly (infer E)[]
        ? readonly JsonInput<E>[]
        : T extends object
          ? { [P in keyof T]: JsonInput<Exclude<T[P], undefined>> }
          : never;

/** What `set(key, v)` takes: anything (checked at run time) for the loose default, else the key's type as JSON. */
export type ValueInput<D, K extends keyof D> = IsLoose<D> extends true ? unknown : JsonInput<D[K]>;

/** The changes since the last save, for providers that write only what changed (Redis). */
export interface ValueChanges {
  /** `clean()` was called: every key not in `set` is gone. */
  readonly cleared: boolean;
  /** Keys set since the last save, with their JSON encoding. */
  readonly set: ReadonlyMap<string, string>;
  /** Keys deleted since the last save (never also in `set`). */
  readonly deleted: ReadonlySet<string>;
}

/** The empty change views (never written: `changes()` is read-only). */
const NO_SETS: ReadonlyMap<string, string> = new Map();
const NO_DELETES: ReadonlySet<string> = new Set();

interface Slot {
  json: string;
  /** Decoded lazily on first `get`; `undefined` = not decoded yet. */
  decoded?: JsonValue;
}

/** How deep `set` lets a value nest (objects and arrays); deeper is `InvalidValueError`. */
export const MAX_DEPTH = 128;

const WEAK_TRUE = new Set(['1', 't', 'true', 'on', 'y', 'yes']);
const WEAK_FALSE = new Set(['0', 'f', 'false', 'off', 'n', 'no', '']);

/**
 * A session's data: string keys to JSON values, with change tracking.
 *
 * Values are held as their JSON encoding, so a stored session is always a copy:
 * mutating an object after `set`, or one returned by `get`, changes nothing
 * stored until `set` is called again.
 */
export class Value<D extends object = DefaultSessionData> {
  #slots = new Map<string, Slot>();
  // Made on the first change: most requests restore a value and change one key, or none.
  #set: Map<string, string> | null = null;
  #deleted: Set<string> | null = null;
  #cleared = false;

  /** Builds a Value from a plain object; the result counts as unchanged (it came from a store). */
  constructor(init?: Readonly<Record<string, unknown>>) {
    if (init) {
      for (const key of Object.keys(init)) {
        checkKey(key);
        this.#slots.set(key, { json: encode(key, init[key]) });
      }
    }
  }

  /** Parses a record written by `serialize`. Throws `CorruptRecordError` on anything else. */
  static deserialize<D extends object = DefaultSessionData>(record: string): Value<D> {
    let parsed: unknown;
    try {
      parsed = JSON.parse(record);
    } catch (cause) {
      throw new CorruptRecordError('session record is not JSON', { cause });
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new CorruptRecordError('session record is not a JSON object');
    }
    const value = new Value<D>();
    for (const [key, v] of Object.entries(parsed as Record<string, JsonValue>)) {
      value.#slots.set(key, { json: JSON.stringify(v), decoded: v });
    }
    return value;
  }

  /** Builds a Value from per-key JSON fields (a Redis hash). Throws `CorruptRecordError`. */
  static fromFields<D extends object = DefaultSessionData>(fields: Readonly<Record<string, string>>): Value<D> {
    const value = new Value<D>();
    for (const key of Object.keys(fields)) {
      const json = fields[key] as string;
      let decoded: JsonValue;
      try {
        decoded = JSON.parse(json) as JsonValue;
      } catch (cause) {
        throw new CorruptRecordError(`session field ${JSON.stringify(key)} is not JSON`, { cause });
      }
      value.#slots.set(key, { json, decoded });
    }
    return value;
  }

  has(key: SessionKey<D>): boolean {
    return this.#slots.has(key);
  }

  /** The value under `key`, or `undefined` (typed by {@link SessionData} once declared). */
  get<K extends SessionKey<D>>(key: K): D[K] | undefined;
  /**
   * Without declared {@link SessionData} only: the type parameter is the
   * caller's claim, not a check (declare SessionData, or give the Session a
   * `schema`, to have it checked).
   */
  get<T extends IsLoose<D> extends true ? unknown : never>(key: IsLoose<D> extends true ? string : never): T | undefined;
  get(key: string): unknown {
    return this.#get(key);
  }

  #get(key: string): JsonValue | undefined {
    const slot = this.#slots.get(key);
    if (!slot) return undefined;
    if (slot.decoded === undefined) slot.decoded = JSON.parse(slot.json) as JsonValue;
    return slot.decoded;
  }

  /**
   * Sets `key`. Throws `InvalidValueError` at once for what JSON cannot carry
   * faithfully, for a value nested deeper than {@link MAX_DEPTH}, and for a key
   * that is not a string or has a lone surrogate (no UTF-8 form).
   */
  set<K extends SessionKey<D>>(key: K, value: ValueInput<D, K>): this {
    checkKey(key);
    const json = encode(key, value);
    const slot = this.#slots.get(key);
    if (slot && slot.json === json) return this; // same content: not a change, no write
    this.#slots.set(key, { json });
    (this.#set ??= new Map()).set(key, json);
    this.#deleted?.delete(key);
    return this;
  }

  /** Like `set`, but throws `DuplicateKeyError` when `key` exists. */
  add<K extends SessionKey<D>>(key: K, value: ValueInput<D, K>): this {
    checkKey(key);
    if (this.#slots.has(key)) throw new DuplicateKeyError(key);
    return this.set(key, value);
  }

  del(key: SessionKey<D>): boolean {
    checkKey(key);
    if (!this.#slots.delete(key)) return false;
    this.#set?.delete(key);
    if (!this.#cleared) (this.#deleted ??= new Set()).add(key);
    return true;
  }

  /** Removes every key. */
  clean(): this {
    if (this.#slots.size === 0 && !this.isChanged()) return this;
    this.#slots.clear();
    this.#set = null;
    this.#deleted = null;
    this.#cleared = true;
    return this;
  }

  get size(): number {
    return this.#slots.size;
  }

  keys(): string[] {
    return [...this.#slots.keys()];
  }

  /** True when something changed since the value was loaded or last saved. */
  isChanged(): boolean {
    return this.#cleared || (this.#set !== null && this.#set.size > 0) || (this.#deleted !== null && this.#deleted.size > 0);
  }

  /** Changes since the last save (see `ValueChanges`). */
  changes(): ValueChanges {
    // Views, not copies (this is on every save). Read them at once: later
    // changes to the value show through, until markSaved starts new ones.
    return { cleared: this.#cleared, set: this.#set ?? NO_SETS, deleted: this.#deleted ?? NO_DELETES };
  }

  /**
   * Marks the whole value as changed: the next save rewrites the record
   * (`changes().cleared` is true and every key is in `set`). Used when a
   * Value replaces a session's data wholesale (`Storer.setValue`).
   */
  markAllChanged(): this {
    const set = new Map<string, string>();
    for (const [key, slot] of this.#slots) set.set(key, slot.json);
    this.#set = set;
    this.#deleted = null;
    this.#cleared = true;
    return this;
  }

  /** Called by a provider once the value is stored: nothing is changed any more. */
  markSaved(): void {
    // Dropped rather than clear(): a `changes()` view taken before stays as it was.
    this.#set = null;
    this.#deleted = null;
    this.#cleared = false;
  }

  /** Boolean, with the weak forms: "1/t/true/on/y/yes" (any case) and non-zero numbers are true. */
  bool(key: SessionKey<D>, fallback = false): boolean {
    const v = this.#get(key);
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'string') {
      const s = v.trim().toLowerCase();
      if (WEAK_TRUE.has(s)) return true;
      if (WEAK_FALSE.has(s)) return false;
    }
    return fallback;
  }

  /** Integer (numbers truncated, numeric strings parsed), else `fallback`. */
  int(key: SessionKey<D>, fallback = 0): number {
    const n = this.#number(key);
    return n === undefined ? fallback : Math.trunc(n);
  }

  float(key: SessionKey<D>, fallback = 0): number {
    const n = this.#number(key);
    return n === undefined ? fallback : n;
  }

  /** String (numbers and booleans converted), else `fallback`. */
  string(key: SessionKey<D>, fallback = ''): string {
    const v = this.#get(key);
    if (typeof v === 'string') return v;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    return fallback;
  }

  /** A plain-object copy of the data. */
  toJSON(): Record<string, JsonValue> {
    const out: Record<string, JsonValue> = {};
    for (const key of this.#slots.keys()) put(out, key, structuredCopy(this.#slots.get(key) as Slot));
    return out;
  }

  /** One JSON object with every key: what whole-record stores (memory, memcached) keep. */
  serialize(): string {
    let out = '{';
    let first = true;
    for (const [key, slot] of this.#slots) {
      out += (first ? '' : ',') + JSON.stringify(key) + ':' + slot.json;
      first = false;
    }
    return out + '}';
  }

  /** Per-key JSON fields (what a Redis hash keeps). */
  fields(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, slot] of this.#slots) put(out, key, slot.json);
    return out;
  }

  /** Per-key JSON as a Map (a new one): what the memory provider keeps. */
  fieldMap(): Map<string, string> {
    const out = new Map<string, string>();
    for (const [key, slot] of this.#slots) out.set(key, slot.json);
    return out;
  }

  /**
   * A Value over per-key JSON this library produced itself (`fieldMap`):
   * nothing is parsed until `get`. Untrusted input goes through `fromFields`.
   * `skip`: keys left out (a provider's own fields kept beside the data), so
   * the caller need not copy the map to drop them.
   */
  static fromFieldMap<D extends object = DefaultSessionData>(fields: ReadonlyMap<string, string>, skip?: ReadonlySet<string>): Value<D> {
    const value = new Value<D>();
    const slots = value.#slots;
    fields.forEach((json, key) => {
      if (skip === undefined || !skip.has(key)) slots.set(key, { json });
    });
    return value;
  }

  /** An independent copy; its change state is copied too. */
  clone(): Value<D> {
    const copy = new Value<D>();
    for (const [key, slot] of this.#slots) copy.#slots.set(key, { json: slot.json });
    if (this.#set !== null) copy.#set = new Map(this.#set);
    if (this.#deleted !== null) copy.#deleted = new Set(this.#deleted);
    copy.#cleared = this.#cleared;
    return copy;
  }

  #number(key: string): number | undefined {
    const v = this.#get(key);
    if (typeof v === 'number') return v;
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (typeof v === 'string' && v.trim() !== '') {
      const n = Number(v);
      if (Number.isFinite(n)) return n;
    }
    return undefined;
  }
}

/** `out[key] = v`, except that a key named `__proto__` becomes an own property instead of changing the prototype. */
function put<T>(out: Record<string, T>, key: string, v: T): void {
  if (key === '__proto__') Object.defineProperty(out, key, { value: v, enumerable: true, writable: true, configurable: true });
  else out[key] = v;
}

function structuredCopy(slot: Slot): JsonValue {
  return JSON.parse(slot.json) as JsonValue;
}

/**
 * JSON-encodes `value`, refusing what would not come back the same:
 * undefined, functions, symbols, BigInt, NaN/Infinity, cycles, and objects
 * that are not plain (Date, Map, class instances...).
 */
function encode(key: string, value: unknown): string {
  // Scalars (most session values) need no walk: no path string, no cycle set.
  if (typeof value === 'string' || typeof value === 'boolean' || value === null || (typeof value === 'number' && Number.isFinite(value))) {
    return JSON.stringify(value);
  }
  check(value, `value[${JSON.stringify(key)}]`, new Set(), 0);
  return JSON.stringify(value);
}

/**
 * Keys are strings, and well-formed ones: a lone surrogate (`'\ud800'`) has no
 * UTF-8 form, so a store that keeps keys as UTF-8 (Redis hash fields) would
 * give back U+FFFD. Refused on every provider alike. A non-string key from
 * plain JS would turn a whole record into invalid JSON on some stores.
 */
// In a `u` regex a pair is one code point, so this matches only unpaired halves.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

export function checkKey(key: unknown): asserts key is string {
  if (typeof key !== 'string') {
    throw new InvalidValueError(`session keys are strings, got ${key === null ? 'null' : typeof key}`);
  }
  if (LONE_SURROGATE.test(key)) throw new InvalidValueError(`session key ${JSON.stringify(key)} has a lone surrogate (not valid Unicode)`);
}

function check(value: unknown, path: string, seen: Set<object>, depth: number): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw new InvalidValueError(`${path} is ${value}, which JSON cannot carry`);
      return;
    case 'object': {
      if (value === null) return;
      // Bounded so a hostile or runaway structure gets a typed error, not a stack overflow.
      if (depth >= MAX_DEPTH) throw new InvalidValueError(`${path.length > 200 ? path.slice(0, 200) + '…' : path} nests deeper than ${MAX_DEPTH} levels`);
      if (seen.has(value)) throw new InvalidValueError(`${path} is a cycle, which JSON cannot carry`);
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) check(value[i], `${path}[${i}]`, seen, depth + 1);
      } else {
        const proto: unknown = Object.getPrototypeOf(value);
        if (proto !== Object.prototype && proto !== null) {
          const name = (value as { constructor?: { name?: string } }).constructor?.name ?? 'object';
          throw new InvalidValueError(`${path} is a ${name}, not a plain object; convert it first`);
        }
        for (const k of Object.keys(value)) {
          check((value as Record<string, unknown>)[k], `${path}.${k}`, seen, depth + 1);
        }
      }
      seen.delete(value);
      return;
    }
    default:
      throw new InvalidValueError(`${path} is a ${typeof value}, which JSON cannot carry`);
  }
}
