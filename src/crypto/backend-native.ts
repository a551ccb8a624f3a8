/**
 * The `native` backend: the same Rust core (crate/) compiled for the host,
 * where AES-NI and SHA-NI are picked at run time, behind a small N-API addon
 * (native/binding.c over native/src/lib.rs, built by node-gyp; see binding.gyp).
 *
 * Loaded lazily with node-gyp-build: `build/Release/wasm_session.node` (a
 * from-source build, `npm run build:native`) if present, else the packed
 * prebuild `prebuilds/linux-{x64,arm64}/node.napi.glibc.node`. Nothing is imported
 * from Node at module load, so runtimes without Node built-ins can import
 * this file; there `nativeAvailable()` is false and `auto` moves on to wasm.
 *
 * ABI: one call per seal/open; the codec owns a native handle (key ring,
 * scratch, OS-randomness pool) wrapped in an N-API external, so worker
 * threads never share state. `open` returns the value, or a negative code,
 * and leaves issuedAt/keyIndex in a Float64Array registered once.
 */
import { BackendUnavailableError, SessionError, TokenTooLargeError } from '../errors.js';
import { IV_LEN, SESSION_ID_LENGTH, TOKEN_MAX, checkIssuedAt, codecOptions, tokenLength } from './format.js';
import { ABI_REASONS, ABI_TOO_LARGE, SEAL_WITH_IV } from './internal.js';
import type { Codec, CodecOptions, OpenFailure, OpenOptions, OpenResult, OpenTextResult } from './types.js';

/** An N-API external owning one native handle. */
type Handle = object;

interface Binding {
  create(secrets: readonly string[], name: string): Handle | number;
  dispose(h: Handle): void;
  seal(h: Handle, value: string | Uint8Array, issuedAt: number, iv?: Uint8Array): string | number;
  open(h: Handle, token: string, now: number, maxAgeS: number, skewMs: number, text: true): string | number;
  open(h: Handle, token: string, now: number, maxAgeS: number, skewMs: number, text: false): Uint8Array | number;
  newIds(h: Handle, n: number): string | number;
  setResults(slots: Float64Array): number;
}

const ID_BATCH = 64;
const ERR_NO_ENTROPY = -9;

const utf8Encoder = new TextEncoder();

interface NodeProcess {
  getBuiltinModule?: (id: string) => unknown;
  platform?: string;
  arch?: string;
}

let binding: Binding | null = null;
/** Why the addon did not load (kept: loading is tried once per thread). */
let loadError: Error | null = null;
/** [issuedAt, keyIndex] of the last successful open, written by the addon. */
let results: Float64Array;

function load(): Binding {
  const proc = (globalThis as { process?: NodeProcess }).process;
  const mod = proc?.getBuiltinModule?.('node:module') as typeof import('node:module') | undefined;
  const url = proc?.getBuiltinModule?.('node:url') as typeof import('node:url') | undefined;
  if (!mod || !url) throw new Error('not Node.js (no process.getBuiltinModule): native addons need Node 20.16+');
  const require = mod.createRequire(import.meta.url);
  const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;
  // The package root, from src/crypto/ and dist/crypto/ alike.
  const b = nodeGypBuild(url.fileURLToPath(new URL('../../', import.meta.url))) as Binding & { results?: Float64Array };
  // One result array per addon instance (per thread), kept on its exports: a
  // second copy of this module (ESM and CJS, src and dist) loading the same
  // addon must read the array the addon writes, not register a new one.
  if (!b.results) {
    // An ArrayBuffer of its own is off the V8 heap: its address never moves.
    const slots = new Float64Array(new ArrayBuffer(16));
    if (b.setResults(slots) !== 0) throw new Error('the native addon rejected its result buffer');
    b.results = slots;
  }
  results = b.results;
  return b;
}

function bindingSync(): Binding {
  if (binding) return binding;
  if (!loadError) {
    try {
      binding = load();
      return binding;
    } catch (cause) {
      loadError = cause instanceof Error ? cause : new Error(String(cause));
    }
  }
  const proc = (globalThis as { process?: NodeProcess }).process;
  const where = proc?.platform ? ` on ${proc.platform}-${proc.arch}` : '';
  throw new BackendUnavailableError(
    `the native backend is not available${where}: ${loadError.message.trim()} ` +
      '(prebuilt for linux-x64 and linux-arm64 glibc; elsewhere build it with `npm run build:native`, or use backend auto/wasm/js)',
    { cause: loadError },
  );
}

/** Whether the native addon loads here (loading it if needed). Never throws. */
export function nativeAvailable(): boolean {
  try {
    bindingSync();
    return true;
  } catch {
    return false;
  }
}

export class NativeCodec implements Codec {
  readonly backend = 'native' as const;
  readonly name: string;
  readonly #b: Binding;
  #h: Handle | null;
  readonly #skew: number;
  #ids = '';
  #idPos = 0;

  constructor(options: CodecOptions) {
    const { secrets, name, skewMs } = codecOptions(options);
    this.name = name;
    this.#skew = skewMs;
    const b = (this.#b = bindingSync());
    const h = b.create(secrets, options.name);
    if (typeof h === 'number') throw new BackendUnavailableError('secret or cookie name too long for the native backend');
    // Dropped without dispose(), the external's finalizer frees (zeroes) the handle.
    this.#h = h;
  }

  seal(value: Uint8Array | string, issuedAt: number = Date.now()): string {
    return this.#seal(value, issuedAt, undefined);
  }

  [SEAL_WITH_IV](value: Uint8Array | string, issuedAt: number, iv: Uint8Array): string {
    if (!(iv instanceof Uint8Array) || iv.length !== IV_LEN) throw new SessionError('ERR_INVALID_CONFIG', 'iv must be 16 bytes');
    return this.#seal(value, issuedAt, iv);
  }

  #seal(value: Uint8Array | string, issuedAt: number, iv: Uint8Array | undefined): string {
    checkIssuedAt(issuedAt);
    const h = this.#handle();
    const r = iv ? this.#b.seal(h, value, issuedAt, iv) : this.#b.seal(h, value, issuedAt);
    if (typeof r === 'string') return r;
    if (r === ABI_TOO_LARGE) throw tooLarge(typeof value === 'string' ? utf8Encoder.encode(value).length : value.length);
    if (r === ERR_NO_ENTROPY) throw new BackendUnavailableError('native seal failed: the OS returned no random bytes (getrandom)');
    throw new BackendUnavailableError(`native seal failed (${r}): value must be a string or a Uint8Array`);
  }

  #handle(): Handle {
    if (!this.#h) throw new BackendUnavailableError('native codec used after dispose()');
    return this.#h;
  }

  #args(options: OpenOptions | undefined): [number, number] {
    const maxAge = options?.maxAge;
    return [options?.now ?? Date.now(), maxAge === undefined || maxAge < 0 ? -1 : maxAge];
  }

  #failure(n: number): OpenFailure {
    const reason = ABI_REASONS[n];
    if (!reason) throw new BackendUnavailableError(`native open failed (${n})`);
    return reason;
  }

  open(token: string, options?: OpenOptions): OpenResult {
    const h = this.#handle();
    if (typeof token !== 'string' || token.length > TOKEN_MAX) return { ok: false, reason: 'malformed' };
    const [now, maxAge] = this.#args(options);
    const r = this.#b.open(h, token, now, maxAge, this.#skew, false);
    if (typeof r === 'number') return { ok: false, reason: this.#failure(r) };
    return { ok: true, value: r, issuedAt: results[0] as number, keyIndex: results[1] as number };
  }

  openText(token: string, options?: OpenOptions): OpenTextResult {
    const h = this.#handle();
    if (typeof token !== 'string' || token.length > TOKEN_MAX) return { ok: false, reason: 'malformed' };
    const [now, maxAge] = this.#args(options);
    const r = this.#b.open(h, token, now, maxAge, this.#skew, true);
    if (typeof r === 'number') return { ok: false, reason: this.#failure(r) };
    return { ok: true, value: r, issuedAt: results[0] as number, keyIndex: results[1] as number };
  }

  newSessionId(): string {
    // One crossing per 64 IDs, like the wasm backend.
    if (this.#idPos >= this.#ids.length) {
      const r = this.#b.newIds(this.#handle(), ID_BATCH);
      if (typeof r === 'number') throw new BackendUnavailableError(`native session IDs failed (${r}): no OS randomness`);
      this.#ids = r;
      this.#idPos = 0;
    }
    const id = this.#ids.slice(this.#idPos, this.#idPos + SESSION_ID_LENGTH);
    this.#idPos += SESSION_ID_LENGTH;
    return id;
  }

  /** Zeroes and frees the native key ring now (not at GC). */
  dispose(): void {
    if (!this.#h) return;
    this.#b.dispose(this.#h);
    this.#h = null;
    this.#ids = '';
  }
}

function tooLarge(len: number): TokenTooLargeError {
  return new TokenTooLargeError(`a ${len}-byte value seals to ${tokenLength(len)} characters; the limit is ${TOKEN_MAX}`);
}

export function createNativeCodec(options: CodecOptions): NativeCodec {
  return new NativeCodec(options);
}
