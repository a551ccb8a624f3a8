// Raw loopback access to the test and bench servers (redis-server,
// memcached): binaries on PATH, free ports, one command over a fresh socket.
// Plain JS so the benchmark (bench/lib/redis.js, no build step) and the
// TypeScript tests (test/helpers/servers.ts, typed by loopback.d.ts) share it.
import { accessSync, constants } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export const HOST = '127.0.0.1';

/** Path of executable `name` on PATH, or null. */
export function findBinary(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // keep looking
    }
  }
  return null;
}

function canListen(port) {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, HOST, () => srv.close(() => resolve(true)));
  });
}

/**
 * A free loopback port. With `busOffset`, `port + busOffset` is free too
 * (Redis Cluster's bus port is port + 10000).
 */
export async function freePort(busOffset) {
  for (let attempt = 0; attempt < 200; attempt++) {
    // Below the Linux ephemeral range, so outgoing connections do not take it meanwhile.
    const port = 20000 + Math.floor(Math.random() * 12000);
    if (!(await canListen(port))) continue;
    if (busOffset !== undefined && !(await canListen(port + busOffset))) continue;
    return port;
  }
  throw new Error('no free loopback port found');
}

/** Sends `text` to HOST:port and collects the answer until `done(answer)`. */
export function rawCommand(port, text, done, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    let answer = '';
    const sock = createConnection({ host: HOST, port });
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no answer from port ${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(text));
    sock.on('data', (chunk) => {
      answer += chunk;
      if (done(answer)) {
        clearTimeout(timer);
        sock.destroy();
        resolve(answer);
      }
    });
    sock.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** A RESP array of bulk strings: one Redis command with arguments of any content. */
export function resp(args) {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('');
}

/** True once `answer` holds a whole RESP bulk string (`$n\r\n…\r\n`). */
export function bulkDone(answer) {
  const m = /^\$(\d+)\r\n/.exec(answer);
  return m !== null && Buffer.byteLength(answer) >= m[0].length + Number(m[1]) + 2;
}
