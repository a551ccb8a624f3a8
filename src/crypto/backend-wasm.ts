/**
 * The `wasm` backend: a small loader for crate/ built for wasm32-unknown-unknown.
 *
 * ABI (see crate/src/abi.rs): static IN/OUT buffers in linear memory, a key
 * ring per codec inside the module, one call per seal/open. Strings go in
 * with `TextEncoder.encodeInto` straight into WASM memory; results come back
 * with one read. No wasm-bindgen.
 */
import { BackendUnavailableError, SessionError, TokenTooLargeError } from '../errors.js';
import { IV_LEN, SESSION_ID_LENGTH, TOKEN_MAX, VALUE_MAX, checkIssuedAt, codecOptions, tokenLength } from './format.js';
import { ABI_REASONS, ABI_TOO_LARGE, SEAL_WITH_IV } from './internal.js';
import type { Codec, CodecOptions, OpenFailure, OpenOptions, OpenResult, OpenTextResult } from './types.js';

interface CoreExports {
  memory: WebAssembly.Memory;
  ws_in_ptr(): number;
  ws_out_ptr(): number;
  ws_ring_new(): number;
  ws_ring_add(ring: number, secretLen: number, nameLen: number): number;
  ws_ring_kid(ring: number, index: number): number;
  ws_ring_free(ring: number): void;
  ws_seal(ring: number, valueLen: number, issuedAt: number): number;
  ws_seal_iv(ring: number, valueLen: number, issuedAt: number): number;
  ws_open(ring: number, tokenLen: number, now: number, maxAgeS: number, skewMs: number): number;
  ws_opened_issued_at(): number;
  ws_opened_key_index(): number;
  ws_new_ids(n: number): number;
}

const IN_CAP = 8192;
const ID_BATCH = 64;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();
const latin1Decoder = new TextDecoder('latin1');
const NodeBuffer: typeof Buffer | undefined = (globalThis as { Buffer?: typeof Buffer }).Buffer;
/** Node's Buffer has undocumented but long-stable direct decoders, faster than toString(enc, s, e). */
interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  utf8Slice(start: number, end: number): string;
}

/** One instance of the module per thread, shared by every wasm codec. */
class Core {
  readonly x: CoreExports;
  readonly inPtr: number;
  readonly outPtr: number;
  #buffer: ArrayBuffer | null = null;
  #u8!: Uint8Array;
  #nodeBuf: FastBuffer | undefined;

  constructor(module: WebAssembly.Module) {
    let memory: WebAssembly.Memory | undefined;
    const instance = new WebAssembly.Instance(module, {
      env: {
        // The module's only import: seed (and reseed) its ChaCha20 generator.
        ws_random: (ptr: number, len: number) => {
          globalThis.crypto.getRandomValues(new Uint8Array((memory as WebAssembly.Memory).buffer, ptr, len));
        },
      },
    });
    this.x = instance.exports as unknown as CoreExports;
    memory = this.x.memory;
    this.inPtr = this.x.ws_in_ptr();
    this.outPtr = this.x.ws_out_ptr();
  }

  /** A byte view of linear memory, renewed when the memory has grown (the old buffer detaches). */
  get u8(): Uint8Array {
    const buffer = this.x.memory.buffer;
    if (buffer !== this.#buffer) {
      this.#buffer = buffer;
      this.#u8 = new Uint8Array(buffer);
      this.#nodeBuf = NodeBuffer ? (NodeBuffer.from(buffer) as FastBuffer) : undefined;
    }
    return this.#u8;
  }

  /** Writes `s` as UTF-8 at IN; returns the byte length, or -1 if it does not fit. */
  writeString(s: string, offset = 0): number {
    const dest = this.u8.subarray(this.inPtr + offset, this.inPtr + IN_CAP);
    const { read, written } = utf8Encoder.encodeInto(s, dest);
    return read === s.length ? written : -1;
  }

  writeBytes(bytes: Uint8Array, offset = 0): number {
    if (offset + bytes.length > IN_CAP) return -1;
    this.u8.set(bytes, this.inPtr + offset);
    return bytes.length;
  }

  /** OUT[0..len] as a string of ASCII (tokens, IDs). */
  readAscii(len: number): string {
    const u8 = this.u8;
    if (this.#nodeBuf) return this.#nodeBuf.latin1Slice(this.outPtr, this.outPtr + len);
    return latin1Decoder.decode(u8.subarray(this.outPtr, this.outPtr + len));
  }

  readUtf8(len: number): string {
    const u8 = this.u8;
    if (this.#nodeBuf) return this.#nodeBuf.utf8Slice(this.outPtr, this.outPtr + len);
    return utf8Decoder.decode(u8.subarray(this.outPtr, this.outPtr + len));
  }

  readBytes(len: number): Uint8Array {
    return this.u8.slice(this.outPtr, this.outPtr + len);
  }
}

/** node:fs where the runtime has it; looked up, not imported, so other runtimes can load this file. */
function nodeFs(): typeof import('node:fs') | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.('node:fs') as typeof import('node:fs') | undefined;
}

/** What a runtime that cannot load the module file should do instead. */
const USE_INIT = "import the module (`import wasm from 'wasm-session/wasm'`) and call `await initWasm(wasm)` first, or use backend 'js'";

/**
 * Where the committed module lives, relative to this file in src/ and in dist/.
 * Computed only when the file is first needed: a bundled Worker has no
 * `import.meta.url`, and loading the package must not fail there.
 */
function wasmUrl(): URL {
  const base: unknown = import.meta.url;
  if (typeof base !== 'string' || base === '') {
    throw new BackendUnavailableError(`the wasm module's location is unknown here (no import.meta.url, e.g. a bundle): ${USE_INIT}`);
  }
  try {
    return new URL('../../wasm/wasm_session_core.wasm', base);
  } catch (cause) {
    throw new BackendUnavailableError(`the wasm module's location is unknown here (import.meta.url is ${JSON.stringify(base)}): ${USE_INIT}`, { cause });
  }
}

/** A failed read of the module file, with the likely fix. */
function readFailure(url: URL, cause: unknown): BackendUnavailableError {
  const name = (cause as { name?: unknown; code?: unknown } | null)?.name;
  const code = (cause as { code?: unknown } | null)?.code;
  // Deno without --allow-read: NotCapable (Deno 2) / PermissionDenied (Deno 1).
  if (name === 'NotCapable' || name === 'PermissionDenied' || code === 'ERR_ACCESS_DENIED') {
    return new BackendUnavailableError(`reading ${url.href} was refused (Deno: run with --allow-read, or \`import source wasm from 'wasm-session/wasm'\` and \`await initWasm(wasm)\`)`, { cause });
  }
  return new BackendUnavailableError(`could not read ${url.href} (bundled without the module file?): ${USE_INIT}`, { cause });
}

/** A refused or failed compile; Workers refuse every compile from bytes at run time. */
function compileFailure(cause: unknown): BackendUnavailableError {
  const refused = cause instanceof Error && /disallowed|not allowed|code generation/i.test(cause.message);
  const why = refused ? 'this runtime refuses to compile WebAssembly from bytes (e.g. Cloudflare Workers)' : 'compiling the wasm module failed';
  return new BackendUnavailableError(`${why}: ${USE_INIT}`, { cause });
}

function instantiate(module: WebAssembly.Module): Core {
  try {
    return new Core(module);
  } catch (cause) {
    throw new BackendUnavailableError('instantiating the wasm module failed (is it wasm-session\'s own wasm/wasm_session_core.wasm?)', { cause });
  }
}

let core: Core | null = null;
/** The first synchronous load's failure, kept so later calls fail fast with the same explanation. */
let loadError: BackendUnavailableError | null = null;

/** True where WebAssembly exists at all (not under `node --jitless`). */
export function wasmSupported(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.Module === 'function';
}

function notSupported(): BackendUnavailableError {
  return new BackendUnavailableError("WebAssembly is not available in this runtime (e.g. node --jitless): use backend 'js' (auto does)");
}

/**
 * Compiles the module synchronously (Node, Bun, Deno with --allow-read: from
 * the file next to the package). Throws `BackendUnavailableError`, saying what
 * to do, where that is impossible.
 */
function coreSync(): Core {
  if (core) return core;
  if (loadError) throw new BackendUnavailableError(loadError.message, { cause: loadError.cause });
  if (!wasmSupported()) throw notSupported();
  try {
    const fs = nodeFs();
    if (!fs) throw new BackendUnavailableError(`no synchronous file access here to read the wasm module: ${USE_INIT}`);
    const url = wasmUrl();
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = fs.readFileSync(url);
    } catch (cause) {
      throw readFailure(url, cause);
    }
    let module: WebAssembly.Module;
    try {
      module = new WebAssembly.Module(bytes);
    } catch (cause) {
      throw compileFailure(cause);
    }
    core = instantiate(module);
    return core;
  } catch (e) {
    loadError = e instanceof BackendUnavailableError ? e : new BackendUnavailableError('the wasm backend failed to load', { cause: e });
    throw loadError;
  }
}

/**
 * Async initialisation, for runtimes that forbid synchronous compilation or
 * have no file access: pass a compiled `WebAssembly.Module` (Cloudflare
 * Workers: `import wasm from 'wasm-session/wasm'`) or the module's bytes.
 * In Node, Bun and Deno (with --allow-read) nothing needs to be passed.
 * Rejects with `BackendUnavailableError` (the runtime's error as `cause`).
 * Codecs made before it keep the backend they got.
 */
export async function initWasm(source?: BufferSource | WebAssembly.Module): Promise<void> {
  if (core) return;
  if (!wasmSupported()) throw notSupported();
  let module: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) {
    module = source;
  } else if (source !== undefined) {
    try {
      module = await WebAssembly.compile(source);
    } catch (cause) {
      throw compileFailure(cause);
    }
  } else {
    const fs = nodeFs();
    if (!fs) throw new BackendUnavailableError(`initWasm() without a module needs file access, which this runtime lacks: ${USE_INIT}`);
    const url = wasmUrl();
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = await fs.promises.readFile(url);
    } catch (cause) {
      throw readFailure(url, cause);
    }
    try {
      module = await WebAssembly.compile(bytes);
    } catch (cause) {
      throw compileFailure(cause);
    }
  }
  if (core) return; // a concurrent call got there first
  core = instantiate(module);
  loadError = null;
}

/** Whether the wasm backend can be used right now (loading it if needed). Never throws. */
export function wasmAvailable(): boolean {
  try {
    coreSync();
    return true;
  } catch {
    return false;
  }
}

// A codec dropped without dispose() still releases its keys inside the module. Runtimes
// without FinalizationRegistry (Cloudflare Workers at older compatibility dates): only dispose() frees.
const rings =
  typeof FinalizationRegistry === 'function'
    ? new FinalizationRegistry<{ core: Core; ring: number }>(({ core: c, ring }) => c.x.ws_ring_free(ring))
    : undefined;

export class WasmCodec implements Codec {
  readonly backend = 'wasm' as const;
  readonly name: string;
  readonly #core: Core;
  #ring: number;
  readonly #skew: number;
  #ids = '';
  #idPos = 0;

  constructor(options: CodecOptions) {
    const { secrets, name, skewMs } = codecOptions(options);
    this.name = name;
    this.#skew = skewMs;
    const c = (this.#core = coreSync());
    this.#ring = c.x.ws_ring_new();
    for (const secret of secrets) {
      const secretLen = c.writeString(secret);
      const nameLen = secretLen < 0 ? -1 : c.writeString(options.name, secretLen);
      if (nameLen < 0 || c.x.ws_ring_add(this.#ring, secretLen, nameLen) < 0) {
        c.x.ws_ring_free(this.#ring);
        throw new BackendUnavailableError('secret or cookie name too long for the wasm backend');
      }
    }
    c.u8.fill(0, c.inPtr, c.inPtr + IN_CAP); // no secret left in the shared input buffer
    rings?.register(this, { core: c, ring: this.#ring }, this);
  }

  seal(value: Uint8Array | string, issuedAt: number = Date.now()): string {
    return this.#seal(value, issuedAt, null);
  }

  [SEAL_WITH_IV](value: Uint8Array | string, issuedAt: number, iv: Uint8Array): string {
    return this.#seal(value, issuedAt, iv);
  }

  #seal(value: Uint8Array | string, issuedAt: number, iv: Uint8Array | null): string {
    checkIssuedAt(issuedAt);
    const c = this.#core;
    const len = typeof value === 'string' ? c.writeString(value) : c.writeBytes(value);
    if (len < 0 || len > VALUE_MAX) throw tooLarge(typeof value === 'string' ? utf8Encoder.encode(value).length : value.length);
    let n: number;
    if (iv) {
      if (iv.length !== IV_LEN || c.writeBytes(iv, len) < 0) throw new SessionError('ERR_INVALID_CONFIG', 'iv must be 16 bytes');
      n = c.x.ws_seal_iv(this.#ring, len, issuedAt);
    } else {
      n = c.x.ws_seal(this.#ring, len, issuedAt);
    }
    if (n === ABI_TOO_LARGE) throw tooLarge(len);
    if (n < 0) throw new BackendUnavailableError(`wasm seal failed (${n}): codec disposed?`);
    return c.readAscii(n);
  }

  /** Runs ws_open; returns the value length or a failure reason. */
  #open(token: string, options: OpenOptions | undefined): number | OpenFailure {
    if (typeof token !== 'string' || token.length > TOKEN_MAX) return 'malformed';
    const c = this.#core;
    const len = c.writeString(token);
    if (len < 0 || len !== token.length) return 'malformed'; // non-ASCII can't be base64url
    const maxAge = options?.maxAge;
    const n = c.x.ws_open(this.#ring, len, options?.now ?? Date.now(), maxAge === undefined || maxAge < 0 ? -1 : maxAge, this.#skew);
    if (n >= 0) return n;
    const reason = ABI_REASONS[n];
    if (!reason) throw new BackendUnavailableError(`wasm open failed (${n}): codec disposed?`);
    return reason;
  }

  open(token: string, options?: OpenOptions): OpenResult {
    const r = this.#open(token, options);
    if (typeof r === 'string') return { ok: false, reason: r };
    const x = this.#core.x;
    return { ok: true, value: this.#core.readBytes(r), issuedAt: x.ws_opened_issued_at(), keyIndex: x.ws_opened_key_index() };
  }

  openText(token: string, options?: OpenOptions): OpenTextResult {
    const r = this.#open(token, options);
    if (typeof r === 'string') return { ok: false, reason: r };
    const x = this.#core.x;
    return { ok: true, value: this.#core.readUtf8(r), issuedAt: x.ws_opened_issued_at(), keyIndex: x.ws_opened_key_index() };
  }

  newSessionId(): string {
    // IDs come across in batches: one crossing per 64 IDs.
    if (this.#idPos >= this.#ids.length) {
      const n = this.#core.x.ws_new_ids(ID_BATCH);
      this.#ids = this.#core.readAscii(n);
      this.#idPos = 0;
    }
    const id = this.#ids.slice(this.#idPos, this.#idPos + SESSION_ID_LENGTH);
    this.#idPos += SESSION_ID_LENGTH;
    return id;
  }

  dispose(): void {
    if (this.#ring === 0) return;
    rings?.unregister(this);
    this.#core.x.ws_ring_free(this.#ring);
    this.#ring = 0;
    this.#ids = '';
  }
}

function tooLarge(len: number): TokenTooLargeError {
  return new TokenTooLargeError(`a ${len}-byte value seals to ${tokenLength(len)} characters; the limit is ${TOKEN_MAX}`);
}

export function createWasmCodec(options: CodecOptions): WasmCodec {
  return new WasmCodec(options);
}
