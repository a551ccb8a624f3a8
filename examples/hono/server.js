// Example: wasm-session with Hono on @hono/node-server (`npm run example -- hono`).
// Pages: a counter (/) and a login/logout page with "remember me" (/login).
// The same app runs on other Web-standard runtimes: only the `serve` call is Node's.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { honoSession } from 'wasm-session/hono';
import { counterBody, createExampleSession, loginBody, page, rememberKeyFor, remembered } from '../common.js';

const session = createExampleSession();

const html = (c, status, title, body) => {
  c.header('cache-control', 'no-store');
  return c.html(page(title, body), status);
};

const app = new Hono();
app.use(honoSession(session));

// Remember-me: a returning visitor with no session but a valid remember cookie is logged back in.
app.use(async (c, next) => {
  const s = c.get('session');
  const value = s.getValue();
  if (!value.has('user')) {
    const psk = s.remembered();
    const user = psk && remembered.get(psk);
    if (user) {
      value.set('user', user);
      await s.refresh();
    }
  }
  await next();
});

app.get('/', (c) => {
  const s = c.get('session');
  const value = s.getValue();
  const count = value.int('count') + 1;
  value.set('count', count); // saved by the middleware, before the response goes out
  return html(c, 200, 'Counter', counterBody(s, count));
});

app.get('/login', (c) => {
  const value = c.get('session').getValue();
  return html(c, 200, 'Login', loginBody(value));
});

app.post('/login', async (c) => {
  const form = await c.req.parseBody();
  const user = String(form.user ?? '').trim().slice(0, 40);
  if (!user) return c.redirect('/login', 303);
  const s = c.get('session');
  s.getValue().set('user', user);
  await s.refresh(); // new ID on login: defeats session fixation
  if (form.remember === '1') s.remember(rememberKeyFor(user));
  return c.redirect('/login', 303);
});

app.post('/logout', async (c) => {
  const s = c.get('session');
  const psk = s.remembered();
  if (psk) remembered.delete(psk);
  await s.destroy();
  s.forget();
  return c.redirect('/login', 303);
});

app.notFound((c) => html(c, 404, 'Not found', '<p>No such page.</p>'));

serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) }, (info) => {
  console.log(`wasm-session hono example (crypto backend: ${session.backend}) listening on http://localhost:${info.port}/`);
});
