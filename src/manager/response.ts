/**
 * The manager's hold on a Node response: `writeHead` sets a pending session
 * cookie just before the headers go out, and `end` saves a changed value
 * first (a failed save answers a bare 500 instead of the app's response).
 */
import { errorCode, reportError } from './report.js';
import type { RequestState, SessionStore } from './store.js';
import type { SessionCore } from './core.js';
import { dropSetCookie, reconcileSetCookie, takeWriteHeadCookies } from './http.js';

type AnyFn = (this: unknown, ...args: unknown[]) => unknown;

/**
 * Wraps the response's `writeHead` (Node calls it for implicit headers too)
 * to set a pending cookie just before the headers go out, and `end` to save
 * a changed value first, so the next request reads what this one wrote.
 */
export function hookResponse(state: RequestState, core: SessionCore): void {
  const res = state.res as unknown as { writeHead?: AnyFn; end?: AnyFn };
  const writeHead = res.writeHead;
  if (typeof writeHead === 'function') {
    res.writeHead = function (this: unknown, ...args: unknown[]): unknown {
      const store = state.store;
      if (store !== null) {
        // A failed request (5xx) keeps no automatic changes (see `end`).
        if (typeof args[0] === 'number' && args[0] >= 500) store.discard();
        try {
          store.writeCookie();
        } catch (err) {
          // Sealing cannot fail for a valid ID; if it ever does, report it rather than break the response.
          reportError(core, state.req, 'save', err, store.sessionID());
        }
      }
      if (state.lines === null || state.lines.size === 0) return writeHead.apply(this, args);
      // Node's writeHead replaces Set-Cookie with its headers argument's: merge
      // the app's lines with ours instead, so neither drops the other.
      const taken = takeWriteHeadCookies(args);
      reconcileSetCookie(state.res, state.lines, taken.lines);
      return writeHead.apply(this, taken.args);
    };
  }
  const end = res.end;
  if (typeof end === 'function') {
    res.end = function (this: unknown, ...args: unknown[]): unknown {
      if (state.ending) return this;
      const store = state.store;
      // A handler that failed (the framework answers 5xx) does not save what it
      // changed; an explicit `store.save()` before that stays saved.
      if (store !== null) discardIfFailed(state, store);
      if (state.pending === null) {
        if (store === null || !store.needsSave()) return end.apply(this, args);
        // An in-process store saves at once: the response is not deferred a turn.
        try {
          if (store.saveSync()) return end.apply(this, args);
        } catch (err) {
          state.ending = true;
          endAfterFailedSave(state, store, end, args, err);
          return this;
        }
      }
      state.ending = true;
      finish(state, end, args).catch(noop);
      return this;
    };
  }
}

/** A response already set to 5xx is a failed request: its changes are not saved automatically. */
function discardIfFailed(state: RequestState, store: SessionStore): void {
  if ((state.res.statusCode ?? 200) >= 500 && state.res.headersSent !== true) store.discard();
}

async function finish(state: RequestState, end: AnyFn, args: unknown[]): Promise<void> {
  const res = state.res;
  let store = state.store;
  try {
    if (state.pending !== null) {
      store = await state.pending;
      discardIfFailed(state, store);
    }
    if (store !== null && store.needsSave()) await store.save();
  } catch (err) {
    endAfterFailedSave(state, store, end, args, err);
    return;
  }
  end.apply(res, args);
}

/**
 * The save failed (its error event has been emitted): a bare 503 (the store
 * is unavailable: the same answer as a restore that hit the outage) or 500
 * instead of the app's response. A session destroyed meanwhile (another
 * request's logout) stays destroyed: the response goes out as written.
 */
function endAfterFailedSave(state: RequestState, store: SessionStore | null, end: AnyFn, args: unknown[], err: unknown): void {
  if (errorCode(err) !== 'ERR_SESSION_NOT_FOUND' && state.res.headersSent !== true) {
    store?.kill();
    failResponse(state, end, args, errorCode(err) === 'ERR_STORE_UNAVAILABLE');
    return;
  }
  end.apply(state.res, args);
}

/**
 * A save failed before the headers went out: the app's response would claim
 * a change that did not happen (or hand out a cookie for a session that does
 * not exist), so it is replaced by a bare 503 when the store was unavailable
 * (retry later), else a bare 500.
 */
function failResponse(state: RequestState, end: AnyFn, args: unknown[], unavailable: boolean): void {
  const res = state.res;
  if (state.lines !== null) {
    for (const line of state.lines.values()) dropSetCookie(res, line);
    state.lines.clear();
  }
  if (res.removeHeader) {
    // Not content-length: removing it tells Node the app wants no length, and
    // the body would then end only with the connection (keep-alive and
    // pipelined requests behind it would hang). It is set below instead.
    for (const h of ['content-type', 'content-encoding', 'content-range', 'etag', 'last-modified']) res.removeHeader(h);
    if (res.getHeader('transfer-encoding') !== undefined) res.removeHeader('transfer-encoding');
  }
  const body = unavailable ? UNAVAILABLE_BODY : FAIL_BODY;
  res.statusCode = unavailable ? 503 : 500;
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', body.length); // ASCII: characters = bytes
  const callback = args.find((a) => typeof a === 'function');
  end.call(res, body, callback);
}

const FAIL_BODY = 'Internal Server Error\n';
const UNAVAILABLE_BODY = 'Service Unavailable\n';

function noop(): void {}
