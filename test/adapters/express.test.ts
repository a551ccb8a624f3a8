import express, { type NextFunction, type Request, type Response } from 'express';
import { describe, expect, it } from 'vitest';
import { expressSession } from '../../src/adapters/express.js';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { Client, json } from '../helpers/http.js';
import { OPS, runOp, type Remembered } from './logic.js';
import { adapterSuite, running, SECRET, type RunningApp } from './suite.js';

function serve(app: express.Express): Promise<RunningApp> {
  return running(app.listen(0, '127.0.0.1'));
}

function makeApp(session: Session, remembered: Remembered): Promise<RunningApp> {
  const app = express();
  app.use(expressSession(session));
  // On a Router, the way apps usually mount routes.
  const router = express.Router();
  for (const op of OPS) {
    const method = op === 'login' || op === 'logout' ? 'post' : 'get';
    router[method](`/${op}`, async (req: Request, res: Response) => {
      if (op === 'own') res.cookie('theme', 'dark', { path: '/' });
      const q = new URL(req.originalUrl, 'http://x').searchParams;
      res.json(await runOp(op, req.session, q, remembered));
    });
  }
  app.use(router);
  // Express's error handling: what `next(err)` reaches.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    res.status(500).json({ error: (err as { code?: string }).code ?? 'unknown' });
  });
  return serve(app);
}

adapterSuite('express', makeApp);
adapterSuite('express', makeApp, 'cookie');

describe('express specifics', () => {
  it('mounted on the app and again on a Router, the session is started once', async () => {
    const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'js' });
    const app = express();
    const router = express.Router();
    app.use(expressSession(session));
    router.use(expressSession(session));
    router.get('/n', (req, res) => {
      const v = req.session.getValue();
      v.set('n', v.int('n') + 1);
      res.json({ n: v.int('n') });
    });
    app.use('/r', router);
    const running = await serve(app);
    try {
      const c = new Client(running.url);
      expect(json(await c.get('/r/n'))).toEqual({ n: 1 });
      expect(json(await c.get('/r/n'))).toEqual({ n: 2 });
    } finally {
      await running.close();
      session.dispose();
    }
  });
});
