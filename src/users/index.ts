/**
 * Sessions a user can manage: login and listings over the user index,
 * revocable remember-me tokens, the device limit, revoking one device, and
 * step-up freshness. The Session's methods delegate here.
 */
export type { LoginOptions, UserSessionInfo, UserSessionsOptions, DestroyUserSessionsOptions, StoreRef } from './sessions.js';
export { MAX_USER_ID, MAX_LABEL, MAX_IP, MAX_USER_AGENT } from './sessions.js';
export { staleResponse, type FreshGuardOptions } from './fresh.js';
