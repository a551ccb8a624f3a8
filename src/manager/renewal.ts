/**
 * Periodic ID renewal with a grace window (`renewAfter`, `renewGrace`), and
 * following the alias an old ID leaves behind.
 *
 * A restored session whose ID is older than `renewAfter` gets a new ID in the
 * same response (the provider's `renew`: data, user binding and absolute
 * lifetime kept). The old ID's record becomes an alias for `renewGrace`
 * seconds, holding the new ID sealed with the Session's own cookie codec (a
 * store dump gives no usable ID): a request still carrying the old cookie is
 * served the new session and gets the new cookie; a save that reaches the old
 * ID is redirected to the new one (`SessionMovedError` from the provider).
 */
import type { MetaStorer, SessionMeta, Storer } from '../providers/provider.js';
import { errorCode, reportError } from './report.js';
import type { SessionCore } from './core.js';
import type { SessionRequest } from './http.js';

const SESSION_ID = /^[A-Za-z0-9_-]{22}$/;

export interface Restored {
  sid: string;
  storer: Storer;
  meta: SessionMeta | null;
  /** The ID changed (renewed, or an alias followed): the client needs the new cookie. */
  moved: boolean;
}

/** The new ID an alias names, or `null` if it does not open (another app's, tampered, or a secret dropped). */
export function aliasTarget(core: SessionCore, alias: string): string | null {
  const r = core.codec.openText(alias);
  return r.ok && SESSION_ID.test(r.value) ? r.value : null;
}

function metaOf(storer: Storer): SessionMeta | null {
  return (storer as Partial<MetaStorer>).meta?.() ?? null;
}

function aliasOf(storer: Storer): string | null {
  return (storer as Partial<MetaStorer>).alias?.() ?? null;
}

/**
 * After `provider.restore(sid)`: follows an alias, or renews an ID past
 * `renewAfter`. `null` = no session (an alias whose target is gone or whose grace ended).
 */
export async function afterRestore(core: SessionCore, req: SessionRequest, sid: string, storer: Storer, issuedAt: number): Promise<Restored | null> {
  const alias = aliasOf(storer);
  if (alias !== null) return follow(core, alias);
  const meta = metaOf(storer);
  const { config, provider } = core;
  if (config.renewAfter <= 0 || provider.renew === undefined) return { sid, storer, meta, moved: false };
  const idAt = meta?.idAt ?? issuedAt;
  if (Date.now() - idAt < config.renewAfter * 1000) return { sid, storer, meta, moved: false };
  const newSid = core.codec.newSessionId();
  try {
    const r = await provider.renew(sid, newSid, {
      alias: core.codec.seal(newSid),
      grace: config.renewGrace,
      meta: { ...(meta ?? {}), idAt: Date.now() },
      value: storer.getValue(),
      indexTtl: config.cookieExpire,
    });
    if (r === null) return null;
    if ('alias' in r && typeof r.alias === 'string') return follow(core, r.alias); // another request renewed it first
    if (meta?.userId !== undefined && provider.users !== undefined && core.userHooks !== undefined) {
      // Its device details and remember-me series follow the new ID (a failure is reported, not fatal).
      await core.userHooks.followId(meta.userId, meta.series, provider.users.ref(sid), provider.users.ref(newSid), newSid).catch((err: unknown) => reportError(core, req, 'refresh', err, sid));
    }
    return { sid: newSid, storer: r as MetaStorer, meta: metaOf(r as MetaStorer), moved: true };
  } catch (err) {
    // A failed renewal is not a failed request: the session goes on under its old ID (renewed next time).
    if (errorCode(err) !== 'ERR_DUPLICATE_ID') reportError(core, req, 'refresh', err, sid);
    return { sid, storer, meta, moved: false };
  }
}

async function follow(core: SessionCore, alias: string): Promise<Restored | null> {
  const target = aliasTarget(core, alias);
  if (target === null) return null;
  try {
    const storer = await core.provider.restore(target, { touch: core.config.rolling });
    // One hop only: an alias of an alias (renewed twice within the grace) is followed by the client's next request.
    return { sid: target, storer, meta: metaOf(storer), moved: true };
  } catch (err) {
    if (errorCode(err) === 'ERR_SESSION_NOT_FOUND') return null;
    throw err;
  }
}
