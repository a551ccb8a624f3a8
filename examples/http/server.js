// Example: wasm-session with node:http and the in-memory provider.
// `npm start` builds dist/ and runs this file. Pages: a counter (/) and a login/logout page (/login).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { MemoryProvider, Session } from '../../dist/index.js';

let secret = process.env.SESSION_SECRET;
if (!secret) {
  secret = randomBytes(32).toString('base64url');
  console.log('note: SESSION_SECRET is not set; using a random secret, so sessions end when the server restarts.');
}

const session = new Session(new MemoryProvider(), {
  cookieSecret: secret,
  cookieSecure: false, // plain http on localhost; set true behind HTTPS
  sessionExpire: 30 * 60,
});
session.on('error', (e) => console.error(`session ${e.operation} failed:`, e.error.code ?? '', e.error.message));
session.on('expired', () => console.log('a session cookie expired'));

// Remember-me keys (psk → user). A real app keeps these in its database, hashed.
const remembered = new Map();

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (title, body) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px system-ui;max-width:36em;margin:3em auto}nav a{margin-right:1em}button{font:inherit}</style></head>
<body><nav><a href="/">Counter</a><a href="/login">Login</a></nav><h1>${title}</h1>${body}</body></html>`;

function send(res, status, html) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(html);
}
function redirect(res, to) {
  res.writeHead(303, { location: to });
  res.end();
}
async function form(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10_000) break;
  }
  return new URLSearchParams(body);
}

const server = createServer(async (req, res) => {
  let store;
  try {
    store = await session.start(req, res);
  } catch (err) {
    // onStoreError 'fail' (the default): the store is down.
    return send(res, 503, page('Unavailable', `<p>${escape(err.code)}</p>`));
  }
  const value = store.getValue();
  const url = new URL(req.url, 'http://localhost');

  // Remember-me: a returning visitor with no session but a valid remember cookie is logged back in.
  if (!value.has('user')) {
    const psk = session.startRemember(req);
    const user = psk && remembered.get(psk);
    if (user) {
      value.set('user', user);
      await session.refresh(req, res);
    }
  }

  if (url.pathname === '/' && req.method === 'GET') {
    const count = value.int('count') + 1;
    value.set('count', count); // saved automatically before the response goes out
    const note = store.isNew() && store.reason !== 'absent' ? `<p><em>New session (${escape(store.reason)}).</em></p>` : '';
    return send(res, 200, page('Counter', `${note}<p>You have loaded this page <strong>${count}</strong> time(s) in this session.</p>
      <p>${value.has('user') ? `Logged in as <strong>${escape(value.string('user'))}</strong>.` : 'Not logged in.'}</p>`));
  }

  if (url.pathname === '/login' && req.method === 'GET') {
    const body = value.has('user')
      ? `<p>Hello, <strong>${escape(value.string('user'))}</strong>.</p>
         <form method="post" action="/logout"><button>Log out</button></form>`
      : `<form method="post" action="/login">
           <p><label>Name <input name="user" required maxlength="40" autofocus></label></p>
           <p><label><input type="checkbox" name="remember" value="1"> Remember me</label></p>
           <p><button>Log in</button></p>
         </form>`;
    return send(res, 200, page('Login', body));
  }

  if (url.pathname === '/login' && req.method === 'POST') {
    const params = await form(req);
    const user = (params.get('user') ?? '').trim().slice(0, 40);
    if (!user) return redirect(res, '/login');
    value.set('user', user);
    await session.refresh(req, res); // new ID on login: defeats session fixation
    if (params.get('remember') === '1') {
      const psk = randomBytes(24).toString('base64url');
      remembered.set(psk, user);
      session.newRemember(req, res, psk);
    }
    return redirect(res, '/login');
  }

  if (url.pathname === '/logout' && req.method === 'POST') {
    const psk = session.startRemember(req);
    if (psk) remembered.delete(psk);
    await session.destroy(req, res);
    session.destroyRemember(req, res);
    return redirect(res, '/login');
  }

  send(res, 404, page('Not found', '<p>No such page.</p>'));
});

const port = Number(process.env.PORT ?? 3000);
server.listen(port, () => {
  console.log(`wasm-session example (crypto backend: ${session.backend}) listening on http://localhost:${server.address().port}/`);
});
