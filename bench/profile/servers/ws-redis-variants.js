// Investigation: the Redis returning path by hand with wasm-session's own parts
// (the wasm codec, RedisProvider), to see what the Session manager's choices cost.
// VARIANT = awaited   : restore+touch, change, await the save, then end (what Session does)
//         = behind    : restore+touch, change, send the save and end at once (the save's
//                       reply is not awaited; on one ioredis connection Redis runs it
//                       before any later command, so the next request still reads it)
import { createServer } from 'node:http';
import { Redis } from 'ioredis';
import { createCodec } from '../../../dist/crypto/index.js';
import { RedisProvider } from '../../../dist/providers/redis.js';
import { SECRET, countIoredis, listen, redisPort } from '../../servers/_common.js';

const VARIANT = process.env.VARIANT ?? 'awaited';
const redis = countIoredis(new Redis({ host: '127.0.0.1', port: redisPort(), maxRetriesPerRequest: 1 }));
const provider = new RedisProvider(redis, { prefix: 'bench:v:', ttl: 1800 });
const codec = createCodec({ secrets: SECRET, name: 'sid', backend: 'wasm' });

const server = createServer(async (req, res) => {
  const m = /(?:^|;\s*)sid=([^;]+)/.exec(req.headers.cookie ?? '');
  const opened = m ? codec.openText(m[1]) : null;
  let storer;
  if (opened?.ok) {
    try {
      storer = await provider.restore(opened.value, { touch: true });
    } catch {
      storer = null;
    }
  }
  if (!storer) {
    const sid = codec.newSessionId();
    storer = await provider.new(sid);
    res.setHeader('set-cookie', `sid=${codec.seal(sid)}; Path=/; HttpOnly; SameSite=Lax`);
  }
  const v = storer.getValue();
  const n = v.int('n') + 1;
  v.set('n', n);
  res.setHeader('content-type', 'text/plain');
  if (VARIANT === 'behind') {
    storer.setValue(v).catch((err) => console.error('save failed', err.message));
  } else {
    await storer.setValue(v);
  }
  res.end(String(n));
});
listen(server, () => redis.quit());
