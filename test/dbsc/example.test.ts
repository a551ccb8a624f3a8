/**
 * examples/dbsc/server.js as a user runs it (its own process, PORT from the
 * environment), checked by the spec-written DBSC agent. Needs dist/ (`npm run build`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../helpers/http.js';
import { DbscAgent } from './client.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
let child: ChildProcess;
let url: string;

beforeAll(async () => {
  if (!existsSync(`${ROOT}dist/dbsc/index.js`)) throw new Error('dist/ is missing: run `npm run build` first');
  child = spawn(process.execPath, ['examples/dbsc/server.js'], { cwd: ROOT, env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SESSION_SECRET: 'dbsc-example-secret-0123456789-abcdefghij' }, stdio: ['ignore', 'pipe', 'pipe'] });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`no URL in 15 s:\n${out}`)), 15_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on http:\/\/localhost:(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(`http://127.0.0.1:${m[1]}`);
      }
    });
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => reject(new Error(`example exited (${code}):\n${out}`)));
  });
});

afterAll(() => {
  child?.kill();
});

describe('examples/dbsc/server.js', () => {
  it('POST /login registers; GET /me is alice only with the bound cookie; refresh; POST /logout ends it', async () => {
    const agent = new DbscAgent(url);
    expect((await agent.http.get('/me')).status).toBe(401);
    const login = await agent.http.request('/login', { method: 'POST' });
    expect(login.status).toBe(200);
    // before registration completes the session is not bound yet: the browser without DBSC case
    const reg = await agent.register(login);
    expect(reg.status, reg.body).toBe(200);
    expect(agent.instructions?.scope.scope_specification).toEqual([{ type: 'exclude', path: '/login' }]);
    const me = await agent.http.get('/me');
    expect(me.status).toBe(200);
    expect(me.body).toBe('alice');

    const thief = new Client(url);
    await thief.setCookie('sid', (await agent.http.cookie('sid'))!);
    expect((await thief.get('/me')).status).toBe(401);

    expect((await agent.refresh()).status).toBe(200);
    expect((await agent.http.get('/me')).body).toBe('alice');

    const out = await agent.http.request('/logout', { method: 'POST' });
    expect(out.headers['clear-site-data']).toBe('"cookies"');
    const end = await agent.refreshOnce();
    expect(JSON.parse(end.body)).toEqual({ continue: false });
    expect((await agent.http.get('/me')).status).toBe(401);
  });
});
