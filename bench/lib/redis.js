// A throwaway redis-server on a free loopback port for the Redis rows, and
// INFO commandstats snapshots. Says plainly when redis-server is missing.
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// One raw-socket helper for the tests and the bench.
import { HOST, bulkDone, findBinary, freePort, rawCommand, resp } from '../../test/helpers/loopback.js';

export { findBinary };

/** One Redis command over a fresh socket; resolves with the raw answer once `done(answer)`. */
export function command(port, args, done, timeoutMs = 2000) {
  return rawCommand(port, resp(args), done, timeoutMs);
}

/** INFO commandstats as { command: calls }. */
export async function commandStats(port) {
  const answer = await command(port, ['INFO', 'commandstats'], bulkDone);
  const out = {};
  for (const m of answer.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) out[m[1]] = Number(m[2]);
  return out;
}

/** redis-server's CPU time so far (INFO cpu: used_cpu_user + used_cpu_sys), in µs. */
export async function cpuMicros(port) {
  const answer = await command(port, ['INFO', 'cpu'], bulkDone);
  const get = (k) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(answer)?.[1] ?? NaN);
  return (get('used_cpu_user') + get('used_cpu_sys')) * 1e6;
}

/** Differences of two commandstats snapshots (INFO itself left out). */
export function diffStats(before, after) {
  const out = {};
  for (const [k, v] of Object.entries(after)) {
    if (k === 'info') continue;
    const d = v - (before[k] ?? 0);
    if (d > 0) out[k] = d;
  }
  return out;
}

/**
 * Starts redis-server (no persistence) on a free loopback port.
 * Returns null with a reason when redis-server is not installed.
 */
export async function startRedis({ bin: given, replicaOf } = {}) {
  // BENCH_REDIS_SERVER: an explicit redis-server binary (also how the "missing" path is tested);
  // `bin`: another engine's server (valkey-server takes the same flags).
  const explicit = given ?? process.env.BENCH_REDIS_SERVER;
  let bin = explicit ?? findBinary('redis-server');
  if (explicit) {
    try {
      accessSync(explicit, constants.X_OK);
    } catch {
      bin = null;
    }
  }
  if (!bin) {
    const where = explicit ? `BENCH_REDIS_SERVER=${explicit} is not an executable` : 'redis-server not found on PATH';
    return { server: null, reason: `${where} (Debian/Ubuntu: apt-get install -y redis-server): the Redis rows are not run` };
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'wasm-session-bench-redis-'));
  const replica = replicaOf === undefined ? [] : ['--replicaof', HOST, String(replicaOf)];
  const child = spawn(bin, ['--port', String(port), '--bind', HOST, '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--daemonize', 'no', '--loglevel', 'warning', ...replica], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  let exited = false;
  child.once('exit', () => (exited = true));
  const stop = () => {
    if (!exited) child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', stop);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (exited) return { server: null, reason: `redis-server exited at start: ${output.trim().slice(-500)}` };
    try {
      const a = await command(port, ['PING'], (x) => x.includes('\r\n'), 500);
      // A replica: ready once its link to the master is up (the initial sync done).
      if (a.startsWith('+PONG') && (replicaOf === undefined || (await command(port, ['INFO', 'replication'], bulkDone, 500)).includes('master_link_status:up'))) break;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) {
      stop();
      return { server: null, reason: 'redis-server did not answer PING within 10 s' };
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  const info = await command(port, ['INFO', 'server'], bulkDone);
  // Valkey also reports redis_version (7.2.4, its compatibility level): its own version first.
  const valkey = info.match(/valkey_version:(\S+)/)?.[1];
  const version = valkey ? `valkey ${valkey}` : (info.match(/redis_version:(\S+)/)?.[1] ?? 'unknown');
  return { server: { port, version, pid: child.pid, stop }, reason: null };
}
