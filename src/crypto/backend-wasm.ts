/**
 * The `wasm` backend: a small loader for crate/ built for wasm32-unknown-unknown.
 *
 * ABI (see crate/src/abi.rs): static IN/OUT buffers in linear memory, a key
 * ring per codec inside the module, one call per seal/open. Strings go in
 * with `TextEncoder.encodeInto` straight into WASM memory; results come back
 * with one read. No wasm-bindgen.
 */
import { BackendUnavailableError, SessionError, TokenTooLargeError } from '../errors.js';
import { IV_LEN, SESSION_ID_LENGTH, TOKEN_MAX, VALUE_MAX, checkCookieName, checkIssuedAt, normalizeSecrets, tokenLength, DEFAULT_CLOCK_SKEW_MS } from './format.js';
import { SEAL_WITH_IV } from './internal.js';
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

/** Where the committed module lives, relative to this file in src/ and in dist/. */
const WASM_URL = new URL('../../wasm/wasm_session_core.wasm', import.meta.url);
const IN_CAP = 8192;
const ID_BATCH = 64;
const ERR_TOO_LARGE = -7;
const REASONS: Record<number, OpenFailure> = {
  [-1]: 'malformed',
  [-2]: 'unsupported-version',
  [-3]: 'unknown-key',
  [-4]: 'bad-tag',
  [-5]: 'expired',
  [-6]: 'future',
};

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

let core: Core | null = null;
let loadError: unknown = null;

/** True where WebAssembly exists at all (not under `node --jitless`). */
export function wasmSupported(): boolean {
  return typeof WebAssembly === 'object' && typeof WebAssembly.Module === 'function';
}

/**
 * Compiles the module synchronously (Node: from the file next to the package).
 * Throws `BackendUnavailableError` where that is impossible.
 */
function coreSync(): Core {
  if (core) return core;
  if (loadError) throw new BackendUnavailableError('the wasm backend failed to load', { cause: loadError });
  if (!wasmSupported()) throw new BackendUnavailableError('WebAssembly is not available in this runtime (e.g. node --jitless)');
  try {
    const fs = nodeFs();
    if (!fs) throw new Error('no synchronous file access here: call `await initWasm(bytes)` first');
    core = new Core(new WebAssembly.Module(fs.readFileSync(WASM_URL)));
    return core;
  } catch (cause) {
    loadError = cause;
    throw new BackendUnavailableError('the wasm backend failed to load', { cause });
  }
}

/**
 * Async initialisation, for runtimes that forbid synchronous compilation or
 * have no file system: pass the module's bytes (or a compiled module).
 * In Node nothing needs to be passed.
 */
export async function initWasm(source?: BufferSource | WebAssembly.Module): Promise<void> {
  if (core) return;
  if (!wasmSupported()) throw new BackendUnavailableError('WebAssembly is not available in this runtime');
  let module: WebAssembly.Module;
  if (source instanceof WebAssembly.Module) module = source;
  else if (source) module = await WebAssembly.compile(source);
  else {
    const fs = nodeFs();
    if (!fs) throw new BackendUnavailableError('no file system here: pass the module bytes to initWasm(bytes)');
    module = await WebAssembly.compile(await fs.promises.readFile(WASM_URL));
  }
  core = new Core(module);
  loadError = null;
}

/** Whether the wasm backend can be used right now (loading it if needed). */
export function wasmAvailable(): boolean {
  try {
    coreSync();
    return true;
  } catch {
    return false;
  }
}

// A codec dropped without dispose() still releases its keys inside the module.
const rings = new FinalizationRegistry<{ core: Core; ring: number }>(({ core: c, ring }) => c.x.ws_ring_free(ring));

export class WasmCodec implements Codec {
  readonly backend = 'wasm' as const;
  readonly name: string;
  readonly #core: Core;
  #ring: number;
  readonly #skew: number;
  #ids = '';
  #idPos = 0;

  constructor(options: CodecOptions) {
    const secrets = normalizeSecrets(options.secrets);
    checkCookieName(options.name);
    this.name = options.name;
    this.#skew = options.clockSkewMs ?? DEFAULT_CLOCK_SKEW_MS;
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
    rings.register(this, { core: c, ring: this.#ring }, this);
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
    if (n === ERR_TOO_LARGE) throw tooLarge(len);
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
    const reason = REASONS[n];
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
    rings.unregister(this);
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
