// The target anchor: a hand-written server with a node:crypto cookie
// (AES-256-GCM over the session ID, fresh 12-byte IV) and ioredis GET/SET of a
// JSON record: GET on every request, SET (with EX) when the value changed;
// GET /read only reads (GET, no SET: the floor of a read-only request).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { SECRET, countIoredis, listen, redisPort } from './_common.js';

const KEY = createHash('sha256').update(SECRET).digest();
const TTL = 1800;
const redis = countIoredis(new Redis({ host: '127.0.0.1', port: redisPort(), maxRetriesPerRequest: 1 }));

function seal(sid) {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', KEY, iv);
  const ct = Buffer.concat([c.update(sid, 'utf8'), c.final()]);
  return Buffer.concat([iv, ct, c.getAuthTag()]).toString('base64url');
}
function open(token) {
  try {
    const raw = Buffer.from(token, 'base64url');
    if (raw.length < 29) return null;
    const d = createDecipheriv('aes-256-gcm', KEY, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(raw.length - 16));
    return Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()]).toString('utf8');
  } catch {
    return null;
  }
}
function cookieOf(header) {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === 'hsid') return part.slice(i + 1).trim();
  }
  return undefined;
}

const server = createServer(async (req, res) => {
  const token = cookieOf(req.headers.cookie);
  let sid = token ? open(token) : null;
  let data = null;
  if (sid) {
    const raw = await redis.get(`bench:hw:${sid}`);
    data = raw ? JSON.parse(raw) : null;
  }
  if (!data) {
    sid = randomBytes(16).toString('base64url');
    data = {};
    res.setHeader('set-cookie', `hsid=${seal(sid)}; Path=/; HttpOnly; SameSite=Lax; Max-Age=86400`);
  }
  if (req.url === '/read' && sid && data.n !== undefined) {
    res.setHeader('content-type', 'text/plain');
    return res.end(String(data.n));
  }
  data.n = (data.n ?? 0) + 1;
  await redis.set(`bench:hw:${sid}`, JSON.stringify(data), 'EX', TTL);
  res.setHeader('content-type', 'text/plain');
  res.end(String(data.n));
});
listen(server, () => redis.quit());
