// Example: wasm-session with Fastify 5 (`npm run example -- fastify`).
// Pages: a counter (/) and a login/logout page with "remember me" (/login).
import Fastify from 'fastify';
import { fastifySession } from 'wasm-session/fastify';
import { counterBody, createExampleSession, loginBody, page, rememberKeyFor, remembered } from '../common.js';

const session = createExampleSession();

const html = (reply, status, title, body) => reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').send(page(title, body));

const app = Fastify();
// HTML forms post urlencoded bodies (@fastify/formbody does the same).
app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 10_000 }, (_req, body, done) => {
  done(null, Object.fromEntries(new URLSearchParams(body)));
});
await app.register(fastifySession, { session });

// Remember-me: a returning visitor with no session but a valid remember cookie is logged back in.
app.addHook('preHandler', async (request) => {
  const value = request.session.getValue();
  if (value.has('user')) return;
  const psk = request.session.remembered();
  const user = psk && remembered.get(psk);
  if (user) {
    value.set('user', user);
    await request.session.refresh();
  }
});

app.get('/', async (request, reply) => {
  const s = request.session;
  const value = s.getValue();
  const count = value.int('count') + 1;
  value.set('count', count); // saved in onSend, before the reply goes out
  return html(reply, 200, 'Counter', counterBody(s, count));
});

app.get('/login', async (request, reply) => {
  const value = request.session.getValue();
  return html(reply, 200, 'Login', loginBody(value));
});

app.post('/login', async (request, reply) => {
  const form = request.body ?? {};
  const user = String(form.user ?? '').trim().slice(0, 40);
  if (!user) return reply.redirect('/login', 303);
  request.session.getValue().set('user', user);
  await request.session.refresh(); // new ID on login: defeats session fixation
  if (form.remember === '1') request.session.remember(rememberKeyFor(user));
  return reply.redirect('/login', 303);
});

app.post('/logout', async (request, reply) => {
  const psk = request.session.remembered();
  if (psk) remembered.delete(psk);
  await request.session.destroy();
  request.session.forget();
  return reply.redirect('/login', 303);
});

app.setNotFoundHandler((_request, reply) => html(reply, 404, 'Not found', '<p>No such page.</p>'));

const address = await app.listen({ port: Number(process.env.PORT ?? 3000), host: '::' });
const port = new URL(address).port;
console.log(`wasm-session fastify example (crypto backend: ${session.backend}) listening on http://localhost:${port}/`);
