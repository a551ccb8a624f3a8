/**
 * The app the manager suite drives: a small router over one Session, each
 * route answering JSON with the session's state.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SessionError } from '../../src/errors.js';
import type { Session } from '../../src/session/session.js';
import type { SessionStore } from '../../src/manager/store.js';
import { Value, type JsonValue } from '../../src/manager/value.js';

export interface StateBody {
  isNew: boolean;
  reason: string | null;
  sid: string;
  data: Record<string, JsonValue>;
  saved: boolean;
}

function body(store: SessionStore): StateBody {
  return { isNew: store.isNew(), reason: store.reason, sid: store.sessionID(), data: store.getValue().toJSON(), saved: store.isSaved() };
}

function send(res: ServerResponse, status: number, payload: unknown): void {
  const text = JSON.stringify(payload);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

/** Routes (all GET, parameters in the query string). */
export function testApp(session: Session): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    let store: SessionStore;
    try {
      switch (url.pathname) {
        case '/new':
          store = await session.new(req, res);
          return send(res, 200, body(store));
        case '/destroy':
          await session.destroy(req, res);
          return send(res, 200, { destroyed: true });
        case '/remember':
          session.newRemember(req, res, q.get('psk') ?? '');
          return send(res, 200, { ok: true });
        case '/remembered':
          return send(res, 200, { psk: session.startRemember(req) });
        case '/forget':
          session.destroyRemember(req, res);
          return send(res, 200, { ok: true });
        case '/app-cookies':
          // Other middleware's cookies, set before the session's.
          res.setHeader('Set-Cookie', ['theme=dark; Path=/', 'lang=en; Path=/']);
          break;
      }
      store = await session.start(req, res);
    } catch (err) {
      // The app's answer to a store outage.
      const code = err instanceof SessionError ? err.code : 'UNKNOWN';
      return send(res, 503, { error: code });
    }
    const value = store.getValue();
    switch (url.pathname) {
      case '/state':
        return send(res, 200, body(store));
      case '/set':
        for (const [k, v] of q) value.set(k, v);
        return send(res, 200, body(store));
      case '/incr': {
        const key = q.get('k') ?? 'n';
        value.set(key, value.int(key) + 1);
        return send(res, 200, body(store));
      }
      case '/del':
        value.del(q.get('k') ?? '');
        return send(res, 200, body(store));
      case '/refresh':
        if (q.has('k')) value.set(q.get('k') ?? '', q.get('v') ?? '');
        store = await session.refresh(req, res);
        return send(res, 200, body(store));
      case '/app-cookies':
        value.set('x', 1);
        if (q.has('refresh')) await session.refresh(req, res);
        return send(res, 200, body(store));
      case '/explicit-save':
        value.set('saved', 'explicitly');
        await store.save();
        // Streamed: headers go out with the first write.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(JSON.stringify(body(store)));
        return void res.end();
      case '/write-head-first': {
        value.set('early', true);
        const text = JSON.stringify(body(store));
        res.writeHead(200, { 'content-type': 'application/json' });
        return void res.end(text);
      }
      case '/change-after-headers': {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('streaming…');
        value.set('late', true);
        return void res.end();
      }
      case '/set-value': {
        await store.setValue(new Value({ replaced: true }));
        return send(res, 200, body(store));
      }
      case '/twice': {
        const again = await session.start(req, res);
        return send(res, 200, { same: again === store });
      }
      default:
        return send(res, 404, { error: 'no route' });
    }
  };
}
