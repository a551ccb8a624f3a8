// A throwaway memcached on a free loopback port for the memcached rows. Says
// plainly when memcached is missing.
import { spawn } from 'node:child_process';
import { HOST, findBinary, freePort, rawCommand } from '../../test/helpers/loopback.js';

/** Starts memcached (TCP only, 64 MB). Returns { server: { port, version, stop } } or { server: null, reason }. */
export async function startMemcached() {
  const bin = findBinary('memcached');
  if (!bin) return { server: null, reason: 'memcached not found on PATH (Debian/Ubuntu: apt-get install -y memcached): the memcached rows are not run' };
  const port = await freePort();
  const args = ['-l', HOST, '-p', String(port), '-U', '0', '-m', '64', '-t', '1'];
  if (process.getuid?.() === 0) args.push('-u', 'root');
  const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = () => {
    if (!exited) child.kill('SIGKILL');
  };
  process.once('exit', stop);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) return { server: null, reason: `memcached exited at start: ${output.trim().slice(-500)}` };
    try {
      const a = await rawCommand(port, 'version\r\n', (x) => x.includes('\r\n'), 500);
      if (a.startsWith('VERSION')) return { server: { port, version: a.slice(8).trim(), stop }, reason: null };
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      stop();
      return { server: null, reason: 'memcached did not answer within 10 s' };
    }
    await new Promise((r) => setTimeout(r, 30));
  }
}
