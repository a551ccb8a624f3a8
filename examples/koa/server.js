// Example: wasm-session with Koa 3 (`npm run example -- koa`).
// Pages: a counter (/) and a login/logout page with "remember me" (/login).
import Koa from 'koa';
import { koaSession } from 'wasm-session/koa';
import { counterBody, createExampleSession, loginBody, page, rememberKeyFor, remembered } from '../common.js';

const session = createExampleSession();

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
    return html(ctx, 200, 'Counter', counterBody(s, count));
  }
  if (route === 'GET /login') {
    return html(ctx, 200, 'Login', loginBody(value));
  }
  if (route === 'POST /login') {
    const params = await form(ctx);
    const user = (params.get('user') ?? '').trim().slice(0, 40);
    ctx.status = 303;
    ctx.redirect('/login');
    if (!user) return;
    value.set('user', user);
    await s.refresh(); // new ID on login: defeats session fixation
    if (params.get('remember') === '1') s.remember(rememberKeyFor(user));
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
