/**
 * Test-only hooks. Not exported from the package entry points: sealing with a
 * chosen IV exists only so that fixed test vectors can be checked byte for byte.
 */
export const SEAL_WITH_IV: unique symbol = Symbol('wasm-session.sealWithIv');

export interface SealWithIv {
  [SEAL_WITH_IV](value: Uint8Array | string, issuedAt: number, iv: Uint8Array): string;
}
