/** The app the user-session tests drive: login, logout, listings, revocation, a counter. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionError } from '../../src/errors.js';
import type { Session } from '../../src/session/session.js';

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.end(text);
}

export interface UserBody {
  sid: string;
  isNew: boolean;
  reason: string | null;
  userId: string | null;
  data: Record<string, unknown>;
}

export function usersApp(session: Session): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    try {
      if (url.pathname === '/logout') {
        await session.logout(req, res);
        return send(res, 200, { ok: true });
      }
      if (url.pathname === '/login') {
        const label = q.get('label');
        const store = await session.login(req, res, q.get('user') ?? '', label === null ? {} : { label });
        return send(res, 200, state(store));
      }
      const store = await session.start(req, res);
      switch (url.pathname) {
        case '/list':
          return send(res, 200, await session.userSessions(q.get('user') ?? store.userId() ?? '', { current: store }));
        case '/revoke': {
          const n = await session.destroyUserSessions(q.get('user') ?? store.userId() ?? '', q.has('keep') ? { keep: store } : {});
          return send(res, 200, { destroyed: n });
        }
        case '/refresh':
          return send(res, 200, state(await session.refresh(req, res)));
        case '/set':
          for (const [k, v] of q) store.getValue().set(k, v);
          return send(res, 200, state(store));
        case '/slow-set': {
          // Restores, waits, then writes: a request racing a revocation or a renewal.
          await new Promise((r) => setTimeout(r, Number(q.get('ms') ?? 300)));
          for (const [k, v] of q) if (k !== 'ms') store.getValue().set(k, v);
          return send(res, 200, state(store));
        }
        default:
          return send(res, 200, state(store));
      }
    } catch (err) {
      return send(res, err instanceof SessionError && err.code === 'ERR_STORE_UNAVAILABLE' ? 503 : 500, { error: err instanceof SessionError ? err.code : String(err) });
    }
  };
}

function state(store: import('../../src/manager/store.js').SessionStore): UserBody {
  return { sid: store.sessionID(), isNew: store.isNew(), reason: store.reason, userId: store.userId(), data: store.getValue().toJSON() };
}
