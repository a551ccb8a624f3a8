/**
 * Type-level test: one `SessionData` declaration types every entry point.
 * Compiled by test/types/types.test.ts against the built package (`wasm-session`
 * resolves to dist/ through the package's own exports). Each `@ts-expect-error`
 * is a mistake that must not compile; tsc fails if one compiles (unused directive).
 */
import http from 'node:http';
import express from 'express';
import Fastify from 'fastify';
import Koa from 'koa';
import { Hono } from 'hono';
import { MemoryProvider, Session, type SessionStore } from 'wasm-session';
import { expressSession } from 'wasm-session/express';
import { fastifySession } from 'wasm-session/fastify';
import { koaSession } from 'wasm-session/koa';
import { honoSession } from 'wasm-session/hono';
import { startWeb } from 'wasm-session/web';

declare module 'wasm-session' {
  interface SessionData {
    user: { id: string; roles: string[] };
    cart: number[];
    seen?: string;
  }
}

const session = new Session(new MemoryProvider(), { cookieSecret: process.env.SESSION_SECRET ?? '' });

/** The eight mistakes, and the plain usage that must compile, on one store's value. */
function check(v: ReturnType<SessionStore['getValue']>): void {
  const user = v.get('user');
  const id: string | undefined = user?.id; // no cast needed
  const roles: string[] | undefined = v.get('user')?.roles;
  v.set('user', { id: 'u1', roles: ['admin'] });
  v.set('cart', [1, 2]);
  v.add('seen', 'yes');
  v.del('cart');
  v.has('user');
  const n: number = v.int('cart');
  // @ts-expect-error misspelled key
  v.get('usr');
  // @ts-expect-error a type argument is no longer a claim once SessionData is declared
  v.get<{ id: string }>('usr');
  // @ts-expect-error wrong value type for the key
  v.set('cart', 'x');
  // @ts-expect-error misspelled key
  v.del('carrt');
  // @ts-expect-error a Date is not JSON
  v.set('user', new Date());
  // @ts-expect-error wrong shape
  v.set('user', { id: 1, roles: [] });
  // @ts-expect-error unknown key
  v.has('nope');
  // @ts-expect-error unknown key
  v.add('other', 1);
  void [id, roles, n];
}

http.createServer(async (req, res) => {
  const store = await session.start(req, res);
  check(store.getValue());
  res.end();
});

const app = express();
app.use(expressSession(session));
app.get('/', (req, res) => {
  check(req.session.getValue());
  const id: string | undefined = req.session.getValue().get('user')?.id;
  res.send(id ?? '');
});

const f = Fastify();
void f.register(fastifySession, { session });
f.get('/', async (request) => {
  check(request.session.getValue());
  return request.session.getValue().get('cart') ?? [];
});

const k = new Koa();
k.use(koaSession(session));
k.use((ctx) => {
  check(ctx.session.getValue());
});

// A plain Hono app: no Env generic needed for c.get('session').
const h = new Hono();
h.use(honoSession(session));
h.get('/', (c) => {
  check(c.get('session').getValue());
  return c.text(c.get('session').getValue().get('user')?.id ?? '');
});

export async function web(request: Request): Promise<Response> {
  const s = await startWeb(session, request);
  check(s.getValue());
  return s.commit(new Response('ok'));
}
