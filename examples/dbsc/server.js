// Example: Device Bound Session Credentials (DBSC) on node:http, in-memory provider.
// `PORT=3000 node examples/dbsc/server.js` (after `npm run build`), then in a DBSC browser (Chrome 145+ on
// Windows, 147+ on macOS) on http://localhost:3000: POST /login logs in "alice" and offers registration; the
// browser registers a key at /dbsc/register and from then on keeps a short-lived bound cookie fresh at
// /dbsc/refresh. GET /me answers "alice" only to a logged-in session whose bound cookie is valid, else 401.
// Plain HTTP is fine on localhost (the spec treats it as secure); deploy over HTTPS with cookieSecure.
import { createServer } from 'node:http';
import { randomBytes } from 'node:crypto';
import { MemoryProvider, Session } from 'wasm-session';
import { Dbsc } from 'wasm-session/dbsc';

const secret = process.env.SESSION_SECRET || randomBytes(32).toString('base64url');
const session = new Session(new MemoryProvider(), { cookieSecret: secret, cookieName: 'sid', sessionExpire: 3600 });
session.on('error', (e) => console.error('session error:', e.error.code, e.error.message));
// enforce: a session that registered a key and comes without its bound cookie (a copied cookie) is a new, empty one.
const dbsc = new Dbsc(session, { mode: 'enforce', clearSiteData: true, scope: { rules: [{ type: 'exclude', path: '/login' }] } });
session.on('unbound', (e) => console.log(`unbound request refused (session ${e.sidHint})`));

const PAGE = `<!doctype html><meta charset="utf-8"><title>DBSC example</title>
<form method="post" action="/login"><button>Log in as alice</button></form>
<form method="post" action="/logout"><button>Log out</button></form>
<p><a href="/me">/me</a></p>`;

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  res.end(body);
}

const server = createServer(async (req, res) => {
  try {
    if (await dbsc.handle(req, res)) return; // POST /dbsc/register and /dbsc/refresh
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'POST' && path === '/login') {
      await session.login(req, res, 'alice');
      await dbsc.offer(req, res); // Secure-Session-Registration on this response
      return send(res, 200, 'text/html', `logged in as alice<p><a href="/me">/me</a>`);
    }
    if (req.method === 'GET' && path === '/me') {
      const store = await session.start(req, res);
      const user = store.userId();
      // Bound sessions need their bound cookie (enforce mode made an unbound one new, without a user);
      // sessions of browsers without DBSC never registered a key and pass as before.
      if (user === null || store.reason === 'unbound') return send(res, 401, 'text/plain', 'not logged in\n');
      return send(res, 200, 'text/plain', user);
    }
    if (req.method === 'POST' && path === '/logout') {
      await dbsc.logout(req, res);
      return send(res, 200, 'text/plain', 'logged out\n');
    }
    if (req.method === 'GET' && path === '/') return send(res, 200, 'text/html', PAGE);
    send(res, 404, 'text/plain', 'not found\n');
  } catch (err) {
    console.error(err);
    if (!res.headersSent) send(res, 503, 'text/plain', 'session store unavailable\n');
    else res.end();
  }
});

const port = Number(process.env.PORT ?? 3000);
server.listen(port, process.env.HOST ?? 'localhost', () => {
  console.log(`DBSC example listening on http://localhost:${server.address().port}`);
});
