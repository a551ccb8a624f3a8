/**
 * Device Bound Session Credentials: `import { Dbsc } from 'wasm-session/dbsc'`.
 * See docs/dbsc.md.
 * @module
 */
export { Dbsc } from './dbsc.js';
export type { DbscConfig, DbscRefusal, DbscReply, DbscScope, DbscScopeRule, EndpointRequest } from './dbsc.js';
export type { DbscAlgorithm, PublicJwk } from './jws.js';
export { ID_KEY, RECORD_KEY } from './record.js';
export type { BindingRecord } from './record.js';
