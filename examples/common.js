// What every example app shares: the session setup, the remember-me keys and the HTML pages.
// Each examples/<name>/server.js wires these into its framework; the session calls stay there.
import { randomBytes } from 'node:crypto';
import { MemoryProvider, Session } from 'wasm-session';

/** A Session (on the in-memory provider unless `provider` is given), logging store errors; `config` adds to the example defaults. */
export function createExampleSession(config = {}, provider = new MemoryProvider()) {
  let secret = process.env.SESSION_SECRET;
  if (!secret) {
    secret = randomBytes(32).toString('base64url');
    console.log('note: SESSION_SECRET is not set; using a random secret, so sessions end when the server restarts.');
  }
  const session = new Session(provider, {
    cookieSecret: secret,
    cookieSecure: false, // plain http on localhost; set true behind HTTPS
    ...config,
  });
  session.on('error', (e) => console.error(`session ${e.operation} failed:`, e.error.code, e.error.message));
  return session;
}

// Remember-me keys (psk → user). A real app keeps these in its database, hashed.
export const remembered = new Map();

/** A new remember-me key (psk) for `user`, kept in `remembered`. */
export function rememberKeyFor(user) {
  const psk = randomBytes(24).toString('base64url');
  remembered.set(psk, user);
  return psk;
}

export const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export const page = (title, body) => `<!doctype html>
<html><head><meta charset="utf-8"><title>${title}</title>
<style>body{font:16px system-ui;max-width:36em;margin:3em auto}nav a{margin-right:1em}button{font:inherit}</style></head>
<body><nav><a href="/">Counter</a><a href="/login">Login</a></nav><h1>${title}</h1>${body}</body></html>`;

/** The counter page's body: `count` loads so far, why the session is new (if it is), who is logged in. */
export function counterBody(store, count) {
  const value = store.getValue();
  const note = store.isNew() && store.reason !== 'absent' ? `<p><em>New session (${escape(store.reason)}).</em></p>` : '';
  return `${note}<p>You have loaded this page <strong>${count}</strong> time(s) in this session.</p>
    <p>${value.has('user') ? `Logged in as <strong>${escape(value.string('user'))}</strong>.` : 'Not logged in.'}</p>`;
}

/** The login page's body: a logout button for a logged-in `value`, else the login form. */
export function loginBody(value) {
  return value.has('user')
    ? `<p>Hello, <strong>${escape(value.string('user'))}</strong>.</p>
       <form method="post" action="/logout"><button>Log out</button></form>`
    : `<form method="post" action="/login">
         <p><label>Name <input name="user" required maxlength="40" autofocus></label></p>
         <p><label><input type="checkbox" name="remember" value="1"> Remember me</label></p>
         <p><button>Log in</button></p>
       </form>`;
}
