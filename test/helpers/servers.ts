/**
 * Real redis-server / memcached / 3-master Redis Cluster on free loopback
 * ports, for provider tests. Call `dispose()` (or the cluster's `stop()`) from
 * afterAll: it kills the process and removes its temp dir. As a backstop,
 * what is left is killed when the test process exits.
 *
 * The Redis engine (`startRedis`, `startRedisCluster`) comes from the
 * environment: WS_REDIS_ENGINE=redis (the default: Debian's redis-server on
 * PATH) or valkey (the valkey-server at WS_VALKEY_SERVER, from
 * `scripts/fetch-valkey.sh`). Both take the same flags; the cluster is
 * created by Debian's redis-cli (`--cluster create`) for both.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { HOST, bulkDone, findBinary, freePort, rawCommand } from './loopback.js';

const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();

/** Kills `child` when the test process exits, if it is still running then (a backstop for a missed dispose). */
export function killAtExit(child: ChildProcess): () => void {
  live.add(child);
  return () => live.delete(child);
}

process.once('exit', () => {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const PACKAGES: Record<string, string> = {
  'redis-server': 'redis-server',
  'redis-cli': 'redis-server',
  memcached: 'memcached',
};

/** Path of `name` on PATH, or an error naming the Debian package to install. */
export function requireBinary(name: string): string {
  const file = findBinary(name);
  if (file !== null) return file;
  const pkg = PACKAGES[name] ?? name;
  throw new Error(`${name} not found on PATH: apt-get install -y ${pkg}`);
}

export { freePort, rawCommand };

/** The server behind `startRedis` / `startRedisCluster`. */
export type RedisEngine = 'redis' | 'valkey';

/** The engine chosen by WS_REDIS_ENGINE (`redis` when unset); any other value is an error. */
export function redisEngine(): RedisEngine {
  const engine = process.env.WS_REDIS_ENGINE;
  if (engine === undefined || engine === '' || engine === 'redis') return 'redis';
  if (engine === 'valkey') return 'valkey';
  throw new Error(`WS_REDIS_ENGINE must be redis or valkey, not ${JSON.stringify(engine)}`);
}

/** Path of the engine's server binary: redis-server on PATH, or WS_VALKEY_SERVER (never a silent skip). */
function redisServerBinary(): string {
  if (redisEngine() === 'redis') return requireBinary('redis-server');
  const file = process.env.WS_VALKEY_SERVER;
  const fetch = 'export WS_VALKEY_SERVER="$(bash scripts/fetch-valkey.sh)"';
  if (!file) throw new Error(`WS_REDIS_ENGINE=valkey but WS_VALKEY_SERVER (path of valkey-server) is not set: ${fetch}`);
  try {
    accessSync(file, constants.X_OK);
  } catch {
    throw new Error(`WS_VALKEY_SERVER=${file} is not an executable file: ${fetch}`);
  }
  return file;
}

function tempDir(tag: string): string {
  const dir = mkdtempSync(join(tmpdir(), `wasm-session-${tag}-`));
  tempDirs.add(dir);
  return dir;
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} not ready within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

/** One server process that can be stopped, frozen and started again on the same port. */
export class ServerProcess {
  readonly port: number;
  readonly dir: string;
  #child: ChildProcess | undefined;
  #output = '';
  readonly #bin: string;
  readonly #args: () => string[];
  readonly #ready: () => Promise<boolean>;

  constructor(bin: string, port: number, dir: string, args: () => string[], ready: () => Promise<boolean>) {
    this.#bin = bin;
    this.port = port;
    this.dir = dir;
    this.#args = args;
    this.#ready = ready;
  }

  get pid(): number {
    const pid = this.#child?.pid;
    if (pid === undefined) throw new Error('server is not running');
    return pid;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  async start(): Promise<void> {
    if (this.#child) throw new Error('server already running');
    const child = spawn(this.#bin, this.#args(), { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    live.add(child);
    const keep = (chunk: Buffer): void => {
      this.#output = (this.#output + chunk.toString('utf8')).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    let exited = false;
    child.once('exit', () => {
      exited = true;
      live.delete(child);
      if (this.#child === child) this.#child = undefined;
    });
    await waitFor(`${this.#bin} on port ${this.port}`, async () => {
      if (exited) throw new Error(`exited early:\n${this.#output}`);
      return this.#ready();
    });
  }

  /** Sends a signal (SIGCONT resumes a frozen server). */
  signal(sig: NodeJS.Signals): void {
    this.#child?.kill(sig);
  }

  /**
   * SIGSTOP, then waits until every thread is stopped: the signal is
   * asynchronous, and a server thread running on another core could still
   * answer a request sent right after kill().
   */
  async freeze(): Promise<void> {
    const pid = this.pid;
    this.signal('SIGSTOP');
    await waitFor(`pid ${pid} stopped`, async () => {
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        // state is the field after the parenthesised command name
        const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
        if (state !== 'T' && state !== 't') return false;
      }
      return true;
    }, 5000);
  }

  /** Stops the server for good and removes its directory. */
  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
    tempDirs.delete(this.dir);
  }

  /** Stops the server (SIGTERM: a clean shutdown, Redis writes its AOF), SIGKILL after 5 s. */
  async stop(sig: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT'); // a frozen process cannot act on SIGTERM
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}

const redisPing = (port: number) => async (): Promise<boolean> =>
  (await rawCommand(port, 'PING\r\n', (a) => a.includes('\r\n'), 500)).startsWith('+PONG');

export interface RedisServerOptions {
  /** Keep data across restarts (AOF, fsync always). */
  persistent?: boolean;
  /** A replica of the server on this port (`--replicaof`); `start()` resolves once it is in sync. */
  replicaOf?: number;
}

/** Starts redis-server (or valkey-server: see `redisEngine`) on a free loopback port, in a temp dir. */
export async function startRedis(options: RedisServerOptions = {}): Promise<ServerProcess> {
  const bin = redisServerBinary();
  const port = await freePort();
  const dir = tempDir('redis');
  const args = (): string[] => [
    '--port', String(port),
    '--bind', HOST,
    '--dir', dir,
    '--save', '',
    '--appendonly', options.persistent ? 'yes' : 'no',
    '--appendfsync', 'always',
    '--protected-mode', 'no',
    '--daemonize', 'no',
    '--loglevel', 'warning',
    ...(options.replicaOf === undefined ? [] : ['--replicaof', HOST, String(options.replicaOf)]),
  ];
  // A replica is ready once its link to the master is up (the initial sync done), not at its first PONG.
  const ready =
    options.replicaOf === undefined
      ? redisPing(port)
      : async (): Promise<boolean> => (await rawCommand(port, 'INFO replication\r\n', bulkDone, 500)).includes('master_link_status:up');
  const server = new ServerProcess(bin, port, dir, args, ready);
  await server.start();
  return server;
}

export interface MemcachedOptions {
  /** Item size limit (`-I`), e.g. '1m'. Default 1m. */
  maxItemSize?: string;
}

/** Starts memcached on a free loopback port (TCP only). */
export async function startMemcached(options: MemcachedOptions = {}): Promise<ServerProcess> {
  const bin = requireBinary('memcached');
  const port = await freePort();
  const dir = tempDir('memcached');
  const args = (): string[] => {
    const a = ['-l', HOST, '-p', String(port), '-U', '0', '-m', '64', '-t', '1', '-I', options.maxItemSize ?? '1m'];
    // memcached refuses to run as root unless told which user to be.
    if (process.getuid?.() === 0) a.push('-u', 'root');
    return a;
  };
  const ready = async (): Promise<boolean> =>
    (await rawCommand(port, 'version\r\n', (a) => a.includes('\r\n'), 500)).startsWith('VERSION');
  const server = new ServerProcess(bin, port, dir, args, ready);
  await server.start();
  return server;
}

/** memcached `stats` of one server. */
export async function memcachedStats(port: number): Promise<Record<string, string>> {
  const answer = await rawCommand(port, 'stats\r\n', (a) => a.endsWith('END\r\n'));
  const stats: Record<string, string> = {};
  for (const line of answer.split('\r\n')) {
    const m = /^STAT (\S+) (.*)$/.exec(line);
    if (m) stats[m[1] as string] = m[2] as string;
  }
  return stats;
}

/** The raw item under `key` on one memcached server, or undefined (text protocol `get`). */
export async function memcachedGet(port: number, key: string): Promise<string | undefined> {
  const answer = await rawCommand(port, `get ${key}\r\n`, (a) => a.endsWith('END\r\n'));
  const m = /^VALUE \S+ \d+ \d+\r\n/.exec(answer);
  if (!m) return undefined;
  return answer.slice(m[0].length, answer.length - '\r\nEND\r\n'.length);
}

/** Remaining TTL of `key` on one memcached server (meta `mg`): -1 = none, undefined = missing. */
export async function memcachedTtl(port: number, key: string): Promise<number | undefined> {
  const answer = await rawCommand(port, `mg ${key} t\r\n`, (a) => a.endsWith('\r\n'));
  if (answer.startsWith('EN')) return undefined;
  const m = /\bt(-?\d+)/.exec(answer);
  if (!m) throw new Error(`unexpected mg answer: ${answer}`);
  return Number(m[1]);
}

/** Writes a raw item on one memcached server (text protocol `set`), e.g. a corrupt record. */
export async function memcachedSet(port: number, key: string, data: string, ttl = 0): Promise<void> {
  const answer = await rawCommand(
    port,
    `set ${key} 0 ${ttl} ${Buffer.byteLength(data)}\r\n${data}\r\n`,
    (a) => a.endsWith('\r\n'),
  );
  if (!answer.startsWith('STORED')) throw new Error(`memcached set failed: ${answer}`);
}

export interface RedisCluster {
  nodes: ServerProcess[];
  /** `host:port` of every node (masters first), for `new Cluster(...)`. */
  startupNodes: { host: string; port: number }[];
  stop(): Promise<void>;
}

/**
 * Three masters on loopback, slots assigned by `redis-cli --cluster create`
 * (Debian's redis-cli for both engines); with `replicas`, a replica for each
 * (six nodes), ready once every replica's link to its master is up (a replica
 * that has not synced would be promoted empty).
 */
export async function startRedisCluster(options: { replicas?: boolean } = {}): Promise<RedisCluster> {
  const bin = redisServerBinary();
  const cli = requireBinary('redis-cli');
  const nodes: ServerProcess[] = [];
  try {
    for (let i = 0; i < (options.replicas ? 6 : 3); i++) {
      let port = await freePort(10000);
      while (nodes.some((n) => Math.abs(n.port - port) === 10000 || n.port === port)) port = await freePort(10000);
      const dir = tempDir('cluster');
      const args = (): string[] => [
        '--port', String(port),
        '--bind', HOST,
        '--dir', dir,
        '--cluster-enabled', 'yes',
        '--cluster-config-file', join(dir, `nodes-${port}.conf`),
        '--cluster-node-timeout', '5000',
        '--save', '',
        '--appendonly', 'no',
        '--protected-mode', 'no',
        '--daemonize', 'no',
        '--loglevel', 'warning',
      ];
      const node = new ServerProcess(bin, port, dir, args, redisPing(port));
      nodes.push(node);
      await node.start();
    }
    const created = spawnSync(
      cli,
      ['--cluster', 'create', ...nodes.map((n) => `${HOST}:${n.port}`), '--cluster-replicas', options.replicas ? '1' : '0', '--cluster-yes'],
      { encoding: 'utf8', timeout: 30000 },
    );
    if (created.status !== 0) {
      throw new Error(`redis-cli --cluster create failed (${created.status}):\n${created.stdout}\n${created.stderr}`);
    }
    for (const node of nodes) {
      await waitFor(`cluster_state:ok on port ${node.port}`, async () =>
        (await rawCommand(node.port, 'CLUSTER INFO\r\n', bulkDone, 1000)).includes('cluster_state:ok'),
      );
    }
    for (const node of nodes) {
      await waitFor(`replica on port ${node.port} in sync`, async () => {
        const info = await rawCommand(node.port, 'INFO replication\r\n', bulkDone, 1000);
        return info.includes('role:master') || info.includes('master_link_status:up');
      }, 30_000);
    }
  } catch (err) {
    await Promise.all(nodes.map((n) => n.dispose()));
    throw err;
  }
  return {
    nodes,
    startupNodes: nodes.map((n) => ({ host: HOST, port: n.port })),
    stop: async () => {
      await Promise.all(nodes.map((n) => n.dispose()));
    },
  };
}

export interface SentinelLab {
  /** The servers, by the port each was started on (roles change with failovers). */
  readonly servers: ServerProcess[];
  readonly sentinels: ServerProcess[];
  /** For `new Redis({ sentinels, name })`. */
  readonly sentinelAddrs: { host: string; port: number }[];
  readonly name: string;
  /** The master's port as the sentinels see it now. */
  master(): Promise<number>;
  /** Waits until the sentinels agree on a master that answers as one and every other server is its replica in sync. */
  settled(timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

/**
 * A master, a replica and three sentinels on loopback (Debian's redis-server,
 * `--sentinel`): `down-after-milliseconds` 1500, `failover-timeout` 5000.
 * Each sentinel writes its own config file (it rewrites it).
 */
export async function startSentinelLab(): Promise<SentinelLab> {
  const bin = requireBinary('redis-server');
  const name = 'wsmaster';
  const servers: ServerProcess[] = [];
  const sentinels: ServerProcess[] = [];
  const info = async (port: number, section: string): Promise<string> => rawCommand(port, `INFO ${section}\r\n`, bulkDone, 1000);
  try {
    const master = await startRedis();
    servers.push(master);
    servers.push(await startRedis({ replicaOf: master.port }));
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const dir = tempDir('sentinel');
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `port ${port}`,
          `bind ${HOST}`,
          `dir ${dir}`,
          `sentinel monitor ${name} ${HOST} ${master.port} 2`,
          `sentinel down-after-milliseconds ${name} 1500`,
          `sentinel failover-timeout ${name} 5000`,
          '',
        ].join('\n'),
      );
      const s = new ServerProcess(bin, port, dir, () => [conf, '--sentinel', '--loglevel', 'warning'], redisPing(port));
      sentinels.push(s);
      await s.start();
    }
  } catch (err) {
    await Promise.all([...servers, ...sentinels].map((n) => n.dispose()));
    throw err;
  }
  const ask = async (port: number, ...args: string[]): Promise<unknown> => {
    const c = new Redis({ host: HOST, port, lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 1000, commandTimeout: 1000, retryStrategy: () => null });
    c.on('error', () => {});
    try {
      await c.connect();
      return await c.call(args[0]!, ...args.slice(1));
    } finally {
      c.disconnect();
    }
  };
  const sentinelMaster = async (port: number): Promise<number> => {
    const a = (await ask(port, 'SENTINEL', 'get-master-addr-by-name', name).catch(() => null)) as string[] | null;
    return a ? Number(a[1]) : -1;
  };
  const lab: SentinelLab = {
    servers,
    sentinels,
    sentinelAddrs: sentinels.map((s) => ({ host: HOST, port: s.port })),
    name,
    master: () => sentinelMaster(sentinels[0]!.port),
    settled: async (timeoutMs = 30_000) => {
      let port = -1;
      await waitFor('the sentinel lab settled', async () => {
        const seen = await Promise.all(sentinels.filter((s) => s.running).map((s) => sentinelMaster(s.port)));
        port = seen[0] ?? -1;
        if (port <= 0 || seen.some((p) => p !== port)) return false;
        if (!(await info(port, 'replication')).includes('role:master')) return false;
        for (const s of servers) {
          if (s.port === port || !s.running) continue;
          if (!(await info(s.port, 'replication')).includes('master_link_status:up')) return false;
        }
        return true;
      }, timeoutMs);
      return port;
    },
    stop: async () => {
      await Promise.all([...servers, ...sentinels].map((n) => n.dispose()));
    },
  };
  // The sentinels must know the replica and each other before a failover can happen.
  await waitFor('sentinels see the replica and each other', async () => {
    for (const s of sentinels) {
      const flat = (await ask(s.port, 'SENTINEL', 'master', name)) as string[];
      const field = (k: string): string | undefined => flat[flat.indexOf(k) + 1];
      if (field('num-slaves') !== '1' || field('num-other-sentinels') !== '2') return false;
    }
    return true;
  }, 30_000);
  return lab;
}
