// iron-session 8 on node:http: the whole session sealed in the cookie, re-sealed on every change.
// BENCH_VALUE_BYTES: a padding string of that many bytes in the session beside the counter.
import { createServer } from 'node:http';
import { getIronSession, sealData } from 'iron-session';
import { SECRET, listen, unavailable } from './_common.js';

const options = { password: SECRET, cookieName: 'iron', cookieOptions: { secure: false, maxAge: 86_400 } };
const pad = 'x'.repeat(Number(process.env.BENCH_VALUE_BYTES ?? 0));
// iron-session keeps one cookie and refuses one past 4096 bytes: say so instead of a failing row.
const sealed = await sealData({ n: 1, pad }, { password: SECRET });
if (sealed.length + 100 > 4096) unavailable(`iron-session refuses it: a ${pad.length} B value seals to ${sealed.length} characters, past its one-cookie limit of 4096 bytes`);
const server = createServer(async (req, res) => {
  const s = await getIronSession(req, res, options);
  if (pad.length > 0 && s.pad === undefined) s.pad = pad;
  const n = (s.n ?? 0) + 1;
  s.n = n;
  await s.save();
  res.setHeader('content-type', 'text/plain');
  res.end(String(n));
});
listen(server);
