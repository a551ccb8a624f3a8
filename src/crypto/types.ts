/** Which implementation of the sealed-cookie format runs. */
export type BackendName = 'native' | 'wasm' | 'js' | 'node';
/** `auto` = `native` where the addon loads, else `wasm` where WebAssembly instantiates, else `js`. */
export type BackendChoice = BackendName | 'auto';

/**
 * Why a token did not open. `future` = the token's issuedAt is later than
 * now + the clock-skew allowance (a clock problem, or a forged clock).
 */
export type OpenFailure =
  | 'malformed'
  | 'unsupported-version'
  | 'unknown-key'
  | 'bad-tag'
  | 'expired'
  | 'future';

export interface Opened {
  readonly ok: true;
  /** The sealed value bytes. */
  readonly value: Uint8Array;
  /** ms since epoch, as sealed. */
  readonly issuedAt: number;
  /** Index in the secret list of the secret that opened it (0 = current; > 0 = rotate). */
  readonly keyIndex: number;
}
export interface OpenedText {
  readonly ok: true;
  readonly value: string;
  readonly issuedAt: number;
  readonly keyIndex: number;
}
export interface NotOpened {
  readonly ok: false;
  readonly reason: OpenFailure;
}
export type OpenResult = Opened | NotOpened;
export type OpenTextResult = OpenedText | NotOpened;

export interface OpenOptions {
  /** Current time, ms since epoch. Default `Date.now()`. */
  now?: number;
  /** Maximum age in seconds, counted from issuedAt. Undefined = no limit. */
  maxAge?: number;
}

export interface CodecOptions {
  /** One secret, or a list: the first seals, all open (rotation). Each ≥ 32 characters. */
  secrets: string | readonly string[];
  /** The cookie name: keys are derived per name, so a token never opens under another name. */
  name: string;
  /** Default `auto`. */
  backend?: BackendChoice;
  /** Allowance for a future issuedAt, in ms (clock skew between servers). Default 60 000. */
  clockSkewMs?: number;
}

/**
 * Seals and opens cookie tokens in format v1 (see README) and makes session IDs.
 * `open*` never throw on bad input: they return a reason.
 */
export interface Codec {
  readonly backend: BackendName;
  readonly name: string;
  /** Seal bytes or a string (UTF-8). Throws `TokenTooLargeError` past 4096 characters. */
  seal(value: Uint8Array | string, issuedAt?: number): string;
  open(token: string, options?: OpenOptions): OpenResult;
  /** Like `open`, with the value decoded as UTF-8. */
  openText(token: string, options?: OpenOptions): OpenTextResult;
  /** 22 characters of base64url carrying 128 bits from a CSPRNG. */
  newSessionId(): string;
  /** Releases (zeroes) key material held outside the JS heap (native, WASM). The codec is unusable afterwards. */
  dispose(): void;
}
