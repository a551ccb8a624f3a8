import { createHash } from 'node:crypto';
import { MIN_SECRET_LENGTH } from '../crypto/index.js';

/** A secret as express-session takes it. */
export type Secret = string | Buffer;

let warnedShort = false;

/**
 * Secrets for the sealing codec. express-session accepts any length; the
 * codec wants >= 32 characters of key material, so a shorter (or Buffer)
 * secret is stretched by SHA-256 into a fixed string. That adds no entropy:
 * a short secret stays guessable, hence the one-time warning (which never
 * shows the secret).
 */
export function codecSecrets(secrets: readonly Secret[]): string[] {
  return secrets.map((s) => {
    if (typeof s === 'string' && s.length >= MIN_SECRET_LENGTH) return s;
    const bytes = typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s);
    if (bytes.length < MIN_SECRET_LENGTH && !warnedShort) {
      warnedShort = true;
      process.emitWarning(
        `wasm-session/express-session: a secret is shorter than ${MIN_SECRET_LENGTH} characters; it is accepted for compatibility, but use a long random secret`,
        { code: 'WASM_SESSION_SHORT_SECRET' },
      );
    }
    return 'wasm-session/express-session:' + createHash('sha256').update(bytes).digest('hex');
  });
}
