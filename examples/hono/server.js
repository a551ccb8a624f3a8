// Example: wasm-session with Hono on @hono/node-server (`npm run example -- hono`).
// Pages: a counter (/) and a login/logout page with "remember me" (/login).
// The same app runs on other Web-standard runtimes: only the `serve` call is Node's.
import { randomBytes } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { MemoryProvider, Session } from 'wasm-session';
import { honoSession } from 'wasm-session/hono';

let secret = process.env.SESSION_SECRET;
if (!secret) {
  secret = randomBytes(32).toString('base64url');
  console.log('note: SESSION_SECRET is not set; using a random secret, so sessions end when the server restarts.');
}
const session = new Session(new MemoryProvider(), {
  cookieSecret: secret,
  cookieSecure: false, // plain http on localhost; set true behind HTTPS
});
session.on('error', (e) => console.error(`session ${e.operation} failed:`, e.error.code, e.error.message));

// Remember-me keys (psk → user). A real app keeps these in its database, hashed.
const remembered = new Map();

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px system-ui;max-width:36em;margin:3em auto}nav a{margin-right:1em}button{font:inherit}</style></head>
<body><nav><a href="/">Counter</a><a href="/login">Login</a></nav><h1>${title}</h1>${body}</body></html>`;
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
  const note = s.isNew() && s.reason !== 'absent' ? `<p><em>New session (${escape(s.reason)}).</em></p>` : '';
  return html(c, 200, 'Counter', `${note}<p>You have loaded this page <strong>${count}</strong> time(s) in this session.</p>
    <p>${value.has('user') ? `Logged in as <strong>${escape(value.string('user'))}</strong>.` : 'Not logged in.'}</p>`);
});

app.get('/login', (c) => {
  const value = c.get('session').getValue();
  const body = value.has('user')
    ? `<p>Hello, <strong>${escape(value.string('user'))}</strong>.</p>
       <form method="post" action="/logout"><button>Log out</button></form>`
    : `<form method="post" action="/login">
         <p><label>Name <input name="user" required maxlength="40" autofocus></label></p>
         <p><label><input type="checkbox" name="remember" value="1"> Remember me</label></p>
         <p><button>Log in</button></p>
       </form>`;
  return html(c, 200, 'Login', body);
});

app.post('/login', async (c) => {
  const form = await c.req.parseBody();
  const user = String(form.user ?? '').trim().slice(0, 40);
  if (!user) return c.redirect('/login', 303);
  const s = c.get('session');
  s.getValue().set('user', user);
  await s.refresh(); // new ID on login: defeats session fixation
  if (form.remember === '1') {
    const psk = randomBytes(24).toString('base64url');
    remembered.set(psk, user);
    s.remember(psk);
  }
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
