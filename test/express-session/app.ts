/**
 * One Express app for the express-session behaviour tests: routes that read
 * and change `req.session` the ways express-session documents, over real HTTP.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { listen, type TestServer } from '../helpers/http.js';

type AnySession = Record<string, unknown> & {
  id: string;
  cookie: { maxAge: number | null; originalMaxAge: number | null; expires?: Date | null; toJSON(): unknown };
  regenerate(cb: (err?: unknown) => void): void;
  destroy(cb: (err?: unknown) => void): void;
  reload(cb: (err?: unknown) => void): void;
  save(cb: (err?: unknown) => void): void;
  touch(): void;
};
type SReq = Request & { session: AnySession | null | undefined; sessionID?: string; sessionStore?: unknown };

export type Middleware = (req: never, res: never, next: (err?: unknown) => void) => void;

/** What GET /get answers. */
export interface Snapshot {
  has: boolean;
  id: string | null;
  sessionID: string | null;
  data: Record<string, unknown>;
  keys: string[];
  forIn: string[];
  cookie: { maxAge: number | null; originalMaxAge: number | null; expires: string | null } | null;
}

function snapshot(req: SReq): Snapshot {
  const s = req.session;
  const forIn: string[] = [];
  if (s) for (const k in s) forIn.push(k);
  return {
    has: Boolean(s),
    id: s ? s.id : null,
    sessionID: req.sessionID ?? null,
    data: s ? (JSON.parse(JSON.stringify(s)) as Record<string, unknown>) : {},
    keys: s ? Object.keys(s) : [],
    forIn,
    cookie: s ? { maxAge: s.cookie.maxAge, originalMaxAge: s.cookie.originalMaxAge, expires: s.cookie.expires ? s.cookie.expires.toISOString() : null } : null,
  };
}

const cb = (res: Response, next: NextFunction, req: SReq) => (err?: unknown) => (err ? next(err) : res.json(snapshot(req)));

export async function sessionApp(mw: Middleware, extra?: (app: express.Express) => void): Promise<TestServer> {
  const app = express();
  app.set('trust proxy', false);
  app.use(mw as unknown as express.RequestHandler);
  extra?.(app);
  app.get('/get', (req, res) => {
    res.json(snapshot(req as SReq));
  });
  app.get('/set', (req, res) => {
    const r = req as SReq;
    for (const [k, v] of Object.entries(req.query)) (r.session as AnySession)[k] = v;
    res.json(snapshot(r));
  });
  app.get('/incr', (req, res) => {
    const s = (req as SReq).session as AnySession;
    s.n = ((s.n as number | undefined) ?? 0) + 1;
    res.type('text/plain').send(String(s.n));
  });
  app.get('/delete', (req, res) => {
    const r = req as SReq;
    delete (r.session as AnySession)[String(req.query.k)];
    res.json(snapshot(r));
  });
  app.get('/noop', (_req, res) => {
    res.end('ok');
  });
  app.get('/maxage', (req, res) => {
    const r = req as SReq;
    (r.session as AnySession).cookie.maxAge = Number(req.query.ms);
    // A data change too: like express-session, a cookie-only change sends no cookie without rolling.
    (r.session as AnySession).m = Number(req.query.ms);
    res.json(snapshot(r));
  });
  app.get('/regenerate', (req, res, next) => {
    const r = req as SReq;
    (r.session as AnySession).regenerate((err) => {
      if (err) return next(err);
      (r.session as AnySession).fresh = 'yes';
      res.json(snapshot(r));
    });
  });
  app.get('/destroy', (req, res, next) => {
    const r = req as SReq;
    (r.session as AnySession).destroy(cb(res, next, r));
  });
  app.get('/reload', (req, res, next) => {
    const r = req as SReq;
    (r.session as AnySession).reload(cb(res, next, r));
  });
  app.get('/save', (req, res, next) => {
    const r = req as SReq;
    (r.session as AnySession).saved = 'explicitly';
    (r.session as AnySession).save(cb(res, next, r));
  });
  app.get('/null', (req, res) => {
    (req as unknown as { session: unknown }).session = null;
    res.end('unset');
  });
  app.get('/own-cookie', (req, res) => {
    const s = (req as SReq).session as AnySession;
    s.own = 1;
    res.writeHead(200, { 'Set-Cookie': 'theirs=1; Path=/', 'Content-Type': 'text/plain' });
    res.end('own');
  });
  app.get('/own-cookie-raw', (req, res) => {
    ((req as SReq).session as AnySession).raw = 1;
    res.writeHead(200, ['Set-Cookie', 'a=1; Path=/', 'Set-Cookie', 'b=2; Path=/', 'Content-Type', 'text/plain']);
    res.end('raw');
  });
  app.get('/touch', (req, res) => {
    const s = (req as SReq).session as AnySession;
    const before = s.cookie.maxAge;
    s.touch();
    res.json({ before, after: s.cookie.maxAge, original: s.cookie.originalMaxAge });
  });
  app.get('/stream', (req, res) => {
    const s = (req as SReq).session as AnySession;
    s.streamed = true;
    res.write('a');
    setTimeout(() => res.end('b'), 10);
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { message?: string; code?: string };
    res.status(500).json({ error: e.message ?? String(err), code: e.code ?? null });
  });
  return listen(app as unknown as Parameters<typeof listen>[0]);
}
