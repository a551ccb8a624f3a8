// Example: wasm-session with node:http and the in-memory provider.
// `npm start` builds dist/ and runs this file. Pages: a counter (/) and a login/logout page (/login).
// `npm start -- --sqlite` (or SESSION_STORE=sqlite): sessions in a SQLite file (SESSION_SQLITE_FILE,
// default sessions.db) that survive a restart (with a fixed SESSION_SECRET). Needs Node >= 22.5.
import { createServer } from 'node:http';
import { counterBody, createExampleSession, escape, loginBody, page, rememberKeyFor, remembered } from '../common.js';

let provider;
if (process.argv.includes('--sqlite') || process.env.SESSION_STORE === 'sqlite') {
  const { DatabaseSync } = await import('node:sqlite');
  const { SqliteProvider } = await import('wasm-session/sqlite');
  const file = process.env.SESSION_SQLITE_FILE ?? 'sessions.db';
  const db = new DatabaseSync(file);
  db.exec('PRAGMA synchronous = NORMAL'); // WAL (createSchema): durable against a crash of the process
  provider = new SqliteProvider(db, { touchAfter: 60 });
  provider.createSchema();
  console.log(`sessions in SQLite: ${file}${process.env.SESSION_SECRET ? '' : ' (set SESSION_SECRET to keep them across restarts)'}`);
}
const session = createExampleSession({ sessionExpire: 30 * 60 }, provider);
session.on('expired', () => console.log('a session cookie expired'));

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
    return send(res, 200, page('Counter', counterBody(store, count)));
  }

  if (url.pathname === '/login' && req.method === 'GET') {
    return send(res, 200, page('Login', loginBody(value)));
  }

  if (url.pathname === '/login' && req.method === 'POST') {
    const params = await form(req);
    const user = (params.get('user') ?? '').trim().slice(0, 40);
    if (!user) return redirect(res, '/login');
    value.set('user', user);
    await session.refresh(req, res); // new ID on login: defeats session fixation
    if (params.get('remember') === '1') session.newRemember(req, res, rememberKeyFor(user));
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
