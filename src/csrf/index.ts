/**
 * Cross-site request protection for every adapter: `import { expressCsrf } from 'wasm-session/csrf'`.
 * See docs/csrf.md.
 * @module
 */
export { CsrfGuard, constantTimeEqual, verifyCsrfToken } from './guard.js';
export type { CsrfInput, CsrfOptions } from './guard.js';
export { checkNodeRequest, checkWebRequest, expressCsrf, fastifyCsrf, honoCsrf, koaCsrf, nodeCsrf, sendRejected, webCsrf } from './adapters.js';
export type { FastifyReplyLike, FastifyRequestLike, HonoContextLike, KoaLike, NodeRequest, TokenSource } from './adapters.js';
export { CsrfRejectedError } from '../errors.js';
export type { CsrfReason } from '../errors.js';
