import type { OpenFailure } from './types.js';

/**
 * Shared by the backends, not exported from the package entry points.
 *
 * Test-only hooks. Not exported from the package entry points: sealing with a
 * chosen IV exists only so that fixed test vectors can be checked byte for byte.
 */
export const SEAL_WITH_IV: unique symbol = Symbol('wasm-session.sealWithIv');

export interface SealWithIv {
  [SEAL_WITH_IV](value: Uint8Array | string, issuedAt: number, iv: Uint8Array): string;
}

/**
 * The crate's ABI return codes for a token that did not open (crate/src/abi.rs,
 * the same for the wasm module and the native addon).
 */
export const ABI_REASONS: Readonly<Record<number, OpenFailure>> = {
  [-1]: 'malformed',
  [-2]: 'unsupported-version',
  [-3]: 'unknown-key',
  [-4]: 'bad-tag',
  [-5]: 'expired',
  [-6]: 'future',
};
/** The crate's ABI code for a value whose token would be too long. */
export const ABI_TOO_LARGE = -7;
