// Example: wasm-session with Express 5 (`npm run example -- express`).
// Pages: a counter (/) and a login/logout page with "remember me" (/login).
import { randomBytes } from 'node:crypto';
import express from 'express';
import { MemoryProvider, Session } from 'wasm-session';
import { expressSession } from 'wasm-session/express';

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

const app = express();
app.set('etag', false);
app.use(express.urlencoded({ extended: false, limit: '10kb' }));
app.use(expressSession(session));

// Remember-me: a returning visitor with no session but a valid remember cookie is logged back in.
app.use(async (req, res, next) => {
  try {
    const value = req.session.getValue();
    if (!value.has('user')) {
      const psk = req.session.remembered();
      const user = psk && remembered.get(psk);
      if (user) {
        value.set('user', user);
        await req.session.refresh();
      }
    }
    next();
  } catch (err) {
    next(err);
  }
});

app.get('/', (req, res) => {
  const value = req.session.getValue();
  const count = value.int('count') + 1;
  value.set('count', count); // saved automatically before the response goes out
  const s = req.session;
  const note = s.isNew() && s.reason !== 'absent' ? `<p><em>New session (${escape(s.reason)}).</em></p>` : '';
  res.set('cache-control', 'no-store').send(page('Counter', `${note}<p>You have loaded this page <strong>${count}</strong> time(s) in this session.</p>
    <p>${value.has('user') ? `Logged in as <strong>${escape(value.string('user'))}</strong>.` : 'Not logged in.'}</p>`));
});

app.get('/login', (req, res) => {
  const value = req.session.getValue();
  const body = value.has('user')
    ? `<p>Hello, <strong>${escape(value.string('user'))}</strong>.</p>
       <form method="post" action="/logout"><button>Log out</button></form>`
    : `<form method="post" action="/login">
         <p><label>Name <input name="user" required maxlength="40" autofocus></label></p>
         <p><label><input type="checkbox" name="remember" value="1"> Remember me</label></p>
         <p><button>Log in</button></p>
       </form>`;
  res.set('cache-control', 'no-store').send(page('Login', body));
});

app.post('/login', async (req, res) => {
  const user = String(req.body?.user ?? '').trim().slice(0, 40);
  if (!user) return res.redirect(303, '/login');
  req.session.getValue().set('user', user);
  await req.session.refresh(); // new ID on login: defeats session fixation
  if (req.body?.remember === '1') {
    const psk = randomBytes(24).toString('base64url');
    remembered.set(psk, user);
    req.session.remember(psk);
  }
  res.redirect(303, '/login');
});

app.post('/logout', async (req, res) => {
  const psk = req.session.remembered();
  if (psk) remembered.delete(psk);
  await req.session.destroy();
  req.session.forget();
  res.redirect(303, '/login');
});

app.use((req, res) => res.status(404).send(page('Not found', '<p>No such page.</p>')));

const server = app.listen(Number(process.env.PORT ?? 3000), () => {
  console.log(`wasm-session express example (crypto backend: ${session.backend}) listening on http://localhost:${server.address().port}/`);
});
