/** The user methods through an adapter (Express): req.session.login / userId / userSessions / destroyOtherSessions / logout. */
import express, { type Request, type Response } from 'express';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expressSession } from '../../src/adapters/express.js';
import { Session } from '../../src/session/session.js';
import { MemoryProvider } from '../../src/providers/memory/provider.js';
import { Client, json } from '../helpers/http.js';
import { SECRET } from './suite.js';

let url = '';
let close: () => Promise<void>;

beforeAll(async () => {
  const session = new Session(new MemoryProvider(), { cookieSecret: SECRET, backend: 'node' });
  const app = express();
  app.use(expressSession(session));
  app.post('/login', async (req: Request, res: Response) => {
    await req.session.login(String(req.query.user), { label: String(req.query.label ?? '') });
    res.json({ userId: req.session.userId() });
  });
  app.get('/me', (req: Request, res: Response) => {
    req.session.getValue().set('seen', true);
    res.json({ userId: req.session.userId() });
  });
  app.get('/devices', async (req: Request, res: Response) => res.json(await req.session.userSessions()));
  app.post('/others-out', async (req: Request, res: Response) => res.json({ n: await req.session.destroyOtherSessions() }));
  app.post('/logout', async (req: Request, res: Response) => {
    await req.session.logout();
    res.json({ userId: req.session.userId() });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
});

afterAll(() => close());

describe('user sessions through express', () => {
  it('login, listing, log out other devices, logout', async () => {
    const a = new Client(url);
    const b = new Client(url);
    expect(json(await a.request('/login?user=u1&label=a', { method: 'POST' }))).toEqual({ userId: 'u1' });
    expect(json(await b.request('/login?user=u1&label=b', { method: 'POST' }))).toEqual({ userId: 'u1' });
    expect(json(await a.get('/me'))).toEqual({ userId: 'u1' });
    const devices = json<{ label: string; current: boolean }[]>(await a.get('/devices'));
    expect(devices.map((d) => [d.label, d.current])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    expect(json(await a.request('/others-out', { method: 'POST' }))).toEqual({ n: 1 });
    expect(json(await b.get('/me'))).toEqual({ userId: null });
    expect(json(await a.get('/me'))).toEqual({ userId: 'u1' });
    expect(json(await a.request('/logout', { method: 'POST' }))).toEqual({ userId: null });
    expect(json(await a.get('/me'))).toEqual({ userId: null });
  });
});
