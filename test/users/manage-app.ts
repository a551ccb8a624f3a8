/** The app the "sessions a user can manage" tests drive: remember-me, device limit, revoking one device, step-up. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isSessionError } from '../../src/errors.js';
import type { Session } from '../../src/session/session.js';
import type { SessionStore } from '../../src/manager/store.js';
import type { Client } from '../helpers/http.js';

export interface ManageBody {
  sid: string;
  isNew: boolean;
  reason: string | null;
  userId: string | null;
  authenticatedAt: number | null;
  data: Record<string, unknown>;
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(payload));
}

function body(store: SessionStore): ManageBody {
  return { sid: store.sessionID(), isNew: store.isNew(), reason: store.reason, userId: store.userId(), authenticatedAt: store.authenticatedAt(), data: store.getValue().toJSON() };
}

export function manageApp(session: Session): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    try {
      switch (url.pathname) {
        case '/login': {
          const store = await session.login(req, res, q.get('user') ?? '', {
            remember: q.has('remember'),
            ...(q.has('label') ? { label: q.get('label')! } : {}),
            ...(q.has('ip') ? { ip: q.get('ip')! } : {}),
            ...(req.headers['user-agent'] === undefined ? {} : { userAgent: req.headers['user-agent'] }),
          });
          return send(res, 200, body(store));
        }
        case '/resume': {
          const store = await session.resume(req, res);
          if (store === null) return send(res, 200, { resumed: false, ...body(await session.start(req, res)) });
          return send(res, 200, { resumed: true, ...body(store) });
        }
        case '/logout':
          await session.logout(req, res);
          return send(res, 200, { ok: true });
        case '/refresh':
          return send(res, 200, body(await session.refresh(req, res)));
        case '/reauth':
          return send(res, 200, body(await session.reauthenticated(req, res)));
      }
      const store = await session.start(req, res);
      const user = q.get('user') ?? store.userId() ?? '';
      switch (url.pathname) {
        case '/list':
          return send(res, 200, await session.userSessions(user, { current: store }));
        case '/revoke-all':
          return send(res, 200, { destroyed: await session.destroyUserSessions(user, q.has('keep') ? { keep: store } : {}) });
        case '/revoke-one':
          return send(res, 200, { revoked: await session.revokeSession(user, q.get('handle') ?? '') });
        case '/sudo':
          if (!store.isFresh(Number(q.get('maxAge') ?? 300))) return send(res, 403, { error: 'ERR_REAUTH_REQUIRED' });
          return send(res, 200, { ok: true });
        case '/set':
          for (const [k, v] of q) store.getValue().set(k, v);
          return send(res, 200, body(store));
        default:
          return send(res, 200, body(store));
      }
    } catch (err) {
      const code = isSessionError(err) ? err.code : String(err);
      const status = code === 'ERR_SESSION_LIMIT' ? 409 : code === 'ERR_INVALID_HANDLE' ? 400 : code === 'ERR_STORE_UNAVAILABLE' ? 503 : 500;
      return send(res, status, { error: code });
    }
  };
}

/** Drops cookie `name` from the client's jar (the browser closed, the session cookie expired). */
export async function dropCookie(client: Client, name: string): Promise<void> {
  await client.jar.setCookie(`${name}=; Max-Age=0; Path=/`, client.base);
}
