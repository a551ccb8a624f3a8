// iron-session 8 on node:http: the whole session sealed in the cookie, re-sealed on every change.
import { createServer } from 'node:http';
import { getIronSession } from 'iron-session';
import { SECRET, listen } from './_common.js';

const options = { password: SECRET, cookieName: 'iron', cookieOptions: { secure: false, maxAge: 86_400 } };
const server = createServer(async (req, res) => {
  const s = await getIronSession(req, res, options);
  const n = (s.n ?? 0) + 1;
  s.n = n;
  await s.save();
  res.setHeader('content-type', 'text/plain');
  res.end(String(n));
});
listen(server);
