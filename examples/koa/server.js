// Example: wasm-session with Koa 3 (`npm run example -- koa`).
// Pages: a counter (/) and a login/logout page with "remember me" (/login).
import { randomBytes } from 'node:crypto';
import Koa from 'koa';
import { MemoryProvider, Session } from 'wasm-session';
import { koaSession } from 'wasm-session/koa';

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
function html(ctx, status, title, body) {
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('cache-control', 'no-store');
  ctx.body = page(title, body);
}
// A tiny urlencoded body reader (koa-bodyparser does the same).
async function form(ctx) {
  let body = '';
  for await (const chunk of ctx.req) {
    body += chunk;
    if (body.length > 10_000) ctx.throw(413);
  }
  return new URLSearchParams(body);
}

const app = new Koa();
app.use(koaSession(session));

// Remember-me: a returning visitor with no session but a valid remember cookie is logged back in.
app.use(async (ctx, next) => {
  const value = ctx.session.getValue();
  if (!value.has('user')) {
    const psk = ctx.session.remembered();
    const user = psk && remembered.get(psk);
    if (user) {
      value.set('user', user);
      await ctx.session.refresh();
    }
  }
  await next();
});

app.use(async (ctx) => {
  const s = ctx.session;
  const value = s.getValue();
  const route = `${ctx.method} ${ctx.path}`;
  if (route === 'GET /') {
    const count = value.int('count') + 1;
    value.set('count', count); // saved when the handlers are done, before the response goes out
    const note = s.isNew() && s.reason !== 'absent' ? `<p><em>New session (${escape(s.reason)}).</em></p>` : '';
    return html(ctx, 200, 'Counter', `${note}<p>You have loaded this page <strong>${count}</strong> time(s) in this session.</p>
      <p>${value.has('user') ? `Logged in as <strong>${escape(value.string('user'))}</strong>.` : 'Not logged in.'}</p>`);
  }
  if (route === 'GET /login') {
    const body = value.has('user')
      ? `<p>Hello, <strong>${escape(value.string('user'))}</strong>.</p>
         <form method="post" action="/logout"><button>Log out</button></form>`
      : `<form method="post" action="/login">
           <p><label>Name <input name="user" required maxlength="40" autofocus></label></p>
           <p><label><input type="checkbox" name="remember" value="1"> Remember me</label></p>
           <p><button>Log in</button></p>
         </form>`;
    return html(ctx, 200, 'Login', body);
  }
  if (route === 'POST /login') {
    const params = await form(ctx);
    const user = (params.get('user') ?? '').trim().slice(0, 40);
    ctx.status = 303;
    ctx.redirect('/login');
    if (!user) return;
    value.set('user', user);
    await s.refresh(); // new ID on login: defeats session fixation
    if (params.get('remember') === '1') {
      const psk = randomBytes(24).toString('base64url');
      remembered.set(psk, user);
      s.remember(psk);
    }
    return;
  }
  if (route === 'POST /logout') {
    const psk = s.remembered();
    if (psk) remembered.delete(psk);
    await s.destroy();
    s.forget();
    ctx.status = 303;
    return ctx.redirect('/login');
  }
  html(ctx, 404, 'Not found', '<p>No such page.</p>');
});

const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`wasm-session koa example (crypto backend: ${session.backend}) listening on http://localhost:${server.address().port}/`);
});
