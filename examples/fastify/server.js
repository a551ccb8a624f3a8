// Example: wasm-session with Fastify 5 (`npm run example -- fastify`).
// Pages: a counter (/) and a login/logout page with "remember me" (/login).
import { randomBytes } from 'node:crypto';
import Fastify from 'fastify';
import { MemoryProvider, Session } from 'wasm-session';
import { fastifySession } from 'wasm-session/fastify';

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
  const note = s.isNew() && s.reason !== 'absent' ? `<p><em>New session (${escape(s.reason)}).</em></p>` : '';
  return html(reply, 200, 'Counter', `${note}<p>You have loaded this page <strong>${count}</strong> time(s) in this session.</p>
    <p>${value.has('user') ? `Logged in as <strong>${escape(value.string('user'))}</strong>.` : 'Not logged in.'}</p>`);
});

app.get('/login', async (request, reply) => {
  const value = request.session.getValue();
  const body = value.has('user')
    ? `<p>Hello, <strong>${escape(value.string('user'))}</strong>.</p>
       <form method="post" action="/logout"><button>Log out</button></form>`
    : `<form method="post" action="/login">
         <p><label>Name <input name="user" required maxlength="40" autofocus></label></p>
         <p><label><input type="checkbox" name="remember" value="1"> Remember me</label></p>
         <p><button>Log in</button></p>
       </form>`;
  return html(reply, 200, 'Login', body);
});

app.post('/login', async (request, reply) => {
  const form = request.body ?? {};
  const user = String(form.user ?? '').trim().slice(0, 40);
  if (!user) return reply.redirect('/login', 303);
  request.session.getValue().set('user', user);
  await request.session.refresh(); // new ID on login: defeats session fixation
  if (form.remember === '1') {
    const psk = randomBytes(24).toString('base64url');
    remembered.set(psk, user);
    request.session.remember(psk);
  }
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
