/**
 * Types: `SessionData` is augmented the way express-session users do it, and
 * `req.session.user` is typed. Checked by `npm run typecheck` (part of
 * `npm test`): the `@ts-expect-error` lines fail the typecheck if the
 * augmentation stops working. The runtime part checks the same over HTTP.
 */
import express from 'express';
import { expect, it } from 'vitest';
import session, { type SessionRequest, type SessionWithData } from '../../src/express-session/index.js';
import { Client, listen } from '../helpers/http.js';

declare module '../../src/express-session/index.js' {
  interface SessionData {
    user: { name: string; admin: boolean };
    visits: number;
  }
}

function greet(s: SessionWithData): string {
  // Typed: user is { name, admin } | undefined.
  const name: string | undefined = s.user?.name;
  // @ts-expect-error visits is a number, not a string
  const wrong: string | undefined = s.visits;
  void wrong;
  return name ?? 'nobody';
}

it('augmented SessionData types req.session and works at run time', async () => {
  const app = express();
  app.use(session({ secret: 'a types test secret, long enough for it', resave: false, saveUninitialized: false }) as unknown as express.RequestHandler);
  app.get('/login', (r, res) => {
    const req = r as unknown as SessionRequest;
    req.session.user = { name: 'ada', admin: true };
    req.session.visits = (req.session.visits ?? 0) + 1;
    // @ts-expect-error admin must be a boolean
    if (false as boolean) req.session.user = { name: 'x', admin: 'yes' };
    res.send(greet(req.session));
  });
  app.get('/me', (r, res) => {
    const req = r as unknown as SessionRequest;
    res.send(`${greet(req.session)} ${req.session.visits ?? 0} ${typeof req.session.cookie.maxAge}`);
  });
  const server = await listen(app as unknown as Parameters<typeof listen>[0]);
  try {
    const c = new Client(server.url);
    expect((await c.get('/login')).body).toBe('ada');
    expect((await c.get('/me')).body).toBe('ada 1 object');
  } finally {
    await server.close();
  }
});
