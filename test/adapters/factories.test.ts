import Fastify from 'fastify';
import { expect, it } from 'vitest';
import { expressSession } from '../../src/adapters/express.js';
import { fastifySession } from '../../src/adapters/fastify.js';
import { honoSession } from '../../src/adapters/hono.js';
import { koaSession } from '../../src/adapters/koa.js';
import { startWeb } from '../../src/adapters/web.js';
import type { Session } from '../../src/session/session.js';

const notASession = { cookieSecret: 'x'.repeat(32) } as unknown as Session;

it('every adapter refuses a non-Session at setup with ERR_INVALID_CONFIG', async () => {
  const code = { code: 'ERR_INVALID_CONFIG' };
  expect(() => expressSession(notASession)).toThrow(expect.objectContaining(code));
  expect(() => koaSession(notASession)).toThrow(expect.objectContaining(code));
  expect(() => honoSession(notASession)).toThrow(expect.objectContaining(code));
  expect(() => startWeb(notASession, new Request('http://x/'))).toThrow(expect.objectContaining(code));
  const app = Fastify();
  await expect(app.register(fastifySession, { session: notASession })).rejects.toMatchObject(code);
  await app.close();
});
