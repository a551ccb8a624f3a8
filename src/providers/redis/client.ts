/**
 * The Redis clients RedisProvider takes, behind one small interface
 * (`RedisLink`), detected from the object the app passes, with no adapter
 * call: ioredis 5 and 6 and iovalkey (the same API: `defineCommand`,
 * `duplicate`), standalone or Cluster; node-redis 5 and 6 (`createClient()`,
 * `createCluster()`: `sendCommand`). Neither package is imported: the types
 * below are the parts of each the provider uses.
 *
 * Replies differ by client and protocol (RESP2 arrays, RESP3 maps, ioredis's
 * reply transformers); callers read them through `fieldsOf` and plain
 * `Number()` / `String()`, which accept each shape.
 */
import { createHash } from 'node:crypto';
import { StoreUnavailableError, UnsupportedError } from '../../errors.js';

/** The part of an ioredis (5, 6) or iovalkey client, or their Cluster, that RedisProvider uses. */
export interface IoRedisLike {
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string }): void;
  duplicate(...args: never[]): unknown;
  call(...args: never[]): Promise<unknown>;
}

/** The part of a node-redis (5, 6) client (`createClient()`) or cluster (`createCluster()`) that RedisProvider uses. */
export interface NodeRedisLike {
  sendCommand(...args: never[]): Promise<unknown>;
}

/** Any client RedisProvider accepts: ioredis 5/6 (`Redis`, `Cluster`), iovalkey, node-redis 5/6 (client, cluster). */
export type RedisClient = IoRedisLike | NodeRedisLike;

/** A single-key Lua script: its name (versioned) and source. */
export interface Script {
  readonly name: string;
  readonly lua: string;
}

/** A write: a script and its arguments, or a command (`args` start with its name). */
export type Write = { readonly script: Script; readonly args: readonly (string | number)[] } | { readonly script?: undefined; readonly args: readonly (string | number)[] };

/** One connection the client-side cache owns (a duplicate of the app's client). */
export interface CacheConnection {
  /** Connected and usable now. */
  readonly ready: boolean;
  /** `ready` after (re)connecting; `lost` when the link closes or starts reconnecting. */
  on(event: 'ready' | 'lost', fn: () => void): void;
  send(args: readonly (string | number)[]): Promise<unknown>;
  prepare(scripts: readonly Script[]): void;
  script(s: Script, key: string, args: readonly (string | number)[]): Promise<unknown>;
  /** A script, then WAIT on this connection, as `RedisLink.confirmed`. */
  confirmed(s: Script, key: string, args: readonly (string | number)[], replicas: number, timeoutMs: number): Promise<[unknown, number]>;
  /** MULTI … EXEC, as `RedisLink.transaction`. */
  transaction(commands: readonly (readonly (string | number)[])[]): Promise<unknown[] | null>;
  ping(): Promise<unknown>;
  /**
   * Subscribes this connection to `__redis__:invalidate` (RESP2 Pub/Sub) and
   * answers its client ID, for `CLIENT TRACKING … REDIRECT id`; `null` when the
   * connection must first be reset (a new 'ready' follows).
   */
  subscribeInvalidations(onKeys: (keys: readonly string[] | null) => void): Promise<number | null>;
  close(): void;
}

/** What RedisProvider, its records and its cache send, whatever the client. */
export interface RedisLink {
  readonly kind: 'ioredis' | 'node-redis';
  readonly cluster: boolean;
  /** ioredis's `keyPrefix` (on every key the server sees, on none of ours); '' elsewhere. */
  readonly keyPrefix: string;
  /** A command on `key`'s node (`args` start with the command name). */
  send(key: string, args: readonly (string | number)[]): Promise<unknown>;
  /** Makes `scripts` callable before any call: ioredis copies a client's scripts into each (auto-)pipeline it makes. */
  prepare(scripts: readonly Script[]): void;
  /** A single-key script (EVALSHA, EVAL on NOSCRIPT), on `key`'s node. */
  script(s: Script, key: string, args: readonly (string | number)[]): Promise<unknown>;
  /** A MULTI … EXEC of commands on one key's node, one round trip: the replies (an error reply in place for a failed command), or null when aborted. */
  transaction(key: string, commands: readonly (readonly (string | number)[])[]): Promise<unknown[] | null>;
  /**
   * A write (a script, or a command with `args`) on `key`'s node, then `WAIT replicas timeoutMs` on the
   * same connection, sent back to back (one round trip): the write's reply and how many replicas
   * acknowledged it.
   */
  confirmed(key: string, write: Write, replicas: number, timeoutMs: number): Promise<[unknown, number]>;
  /** A new connection for the cache, speaking RESP2 whatever the app's client speaks. */
  duplicate(name: string): CacheConnection;
  /** Calls `fn` once when the app's client ends for good (quit/disconnect). */
  onEnd(fn: () => void): void;
}

const sha1 = (s: string): string => createHash('sha1').update(s).digest('hex');

/** A hash read (HGETALL, a script's flat array) as its fields, whatever the reply's shape; null for none. */
export function fieldsOf(reply: unknown): Record<string, string> | null {
  // No prototype: a field named `__proto__` is a key like any other.
  const out = Object.create(null) as Record<string, string>;
  let count = 0;
  if (Array.isArray(reply)) {
    for (let i = 0; i + 1 < reply.length; i += 2) {
      out[String(reply[i])] = String(reply[i + 1]);
      count++;
    }
  } else if (reply instanceof Map) {
    for (const [k, v] of reply) {
      out[String(k)] = String(v);
      count++;
    }
  } else if (reply !== null && typeof reply === 'object') {
    for (const [k, v] of Object.entries(reply as Record<string, unknown>)) {
      out[k] = String(v);
      count++;
    }
  }
  return count === 0 ? null : out;
}

const isNoScript = (err: unknown): boolean => err instanceof Error && err.message.startsWith('NOSCRIPT');

/** Wraps the app's client; throws `ERR_UNSUPPORTED` for anything else. */
export function linkTo(client: RedisClient): RedisLink {
  const c = client as unknown as Record<string, unknown>;
  if (typeof c.defineCommand === 'function' && typeof c.duplicate === 'function') return new IoRedisLink(client as IoRedisLike);
  if (typeof c.sendCommand === 'function') return new NodeRedisLink(client as NodeRedisLike);
  throw new UnsupportedError(
    'RedisProvider: the client must be an ioredis (5, 6) or iovalkey Redis/Cluster, or a node-redis (5, 6) client or cluster (createClient(), createCluster())',
  );
}

/** The `durable` option: how many replicas must acknowledge each write, and how long WAIT may block. */
export interface Durability {
  readonly replicas: number;
  readonly waitMs: number;
}

/** Fewer replicas than asked acknowledged a write within WAIT's time: the write may be lost in a failover. */
export function unconfirmed(acks: number, d: Durability): StoreUnavailableError {
  return new StoreUnavailableError(`session store: ${acks} of ${d.replicas} replicas acknowledged the write within ${d.waitMs} ms (durable)`);
}

/**
 * The `durable` option over a link: every write that must not be undone
 * (scripts but the TTL slides; DEL, HDEL, SET) is followed by WAIT on the
 * connection that wrote it, in the same round trip; fewer acknowledgements
 * than asked reject with ERR_STORE_UNAVAILABLE. Reads go as they are.
 */
export class DurableLink implements RedisLink {
  readonly kind: RedisLink['kind'];
  readonly cluster: boolean;
  readonly keyPrefix: string;
  readonly #inner: RedisLink;
  readonly #d: Durability;
  readonly #skip: ReadonlySet<string>;

  /** `skip`: names of scripts that only slide a TTL (a lost slide is not a lost write). */
  constructor(inner: RedisLink, d: Durability, skip: readonly Script[]) {
    this.#inner = inner;
    this.#d = d;
    this.#skip = new Set(skip.map((s) => s.name));
    this.kind = inner.kind;
    this.cluster = inner.cluster;
    this.keyPrefix = inner.keyPrefix;
  }

  async #confirm(key: string, write: Write): Promise<unknown> {
    const [reply, acks] = await this.#inner.confirmed(key, write, this.#d.replicas, this.#d.waitMs);
    if (acks < this.#d.replicas) throw unconfirmed(acks, this.#d);
    return reply;
  }

  send(key: string, args: readonly (string | number)[]): Promise<unknown> {
    return DURABLE_COMMANDS.has(String(args[0]).toUpperCase()) ? this.#confirm(key, { args }) : this.#inner.send(key, args);
  }

  prepare(scripts: readonly Script[]): void {
    this.#inner.prepare(scripts);
  }

  script(s: Script, key: string, args: readonly (string | number)[]): Promise<unknown> {
    return this.#skip.has(s.name) ? this.#inner.script(s, key, args) : this.#confirm(key, { script: s, args });
  }

  transaction(key: string, commands: readonly (readonly (string | number)[])[]): Promise<unknown[] | null> {
    return this.#inner.transaction(key, commands);
  }

  confirmed(key: string, write: Write, replicas: number, timeoutMs: number): Promise<[unknown, number]> {
    return this.#inner.confirmed(key, write, replicas, timeoutMs);
  }

  duplicate(name: string): CacheConnection {
    return this.#inner.duplicate(name);
  }

  onEnd(fn: () => void): void {
    this.#inner.onEnd(fn);
  }
}

/** A promise's value, or its error as a value (the pair's two replies are looked at together). */
const settle = (p: Promise<unknown>): Promise<unknown> => p.catch((err: unknown) => err);

/**
 * A write and WAIT sent back to back by `pair` (which answers both replies,
 * errors as values). A script goes by EVALSHA; on NOSCRIPT (a restarted or
 * promoted server, another Cluster node) the pair is sent again with EVAL, so
 * the WAIT always follows the write that was applied, never a failed EVALSHA.
 */
async function confirm(write: Write, key: string, pair: (w: readonly (string | number)[]) => Promise<unknown[]>): Promise<[unknown, number]> {
  let reply: unknown;
  let acks: unknown;
  if (write.script) {
    [reply, acks] = await pair(['EVALSHA', sha1(write.script.lua), 1, key, ...write.args]);
    if (isNoScript(reply)) [reply, acks] = await pair(['EVAL', write.script.lua, 1, key, ...write.args]);
  } else {
    [reply, acks] = await pair(write.args);
  }
  if (reply instanceof Error) throw reply;
  if (acks instanceof Error) throw acks;
  return [reply, Number(acks)];
}

/**
 * The WAIT of a pair counts only if it ran on the connection the write ran
 * on: WAIT answers for its own connection's writes, and a client that resends
 * what was unanswered when a connection dropped (ioredis, after a failover)
 * may send the WAIT alone on a new connection, where it confirms nothing yet
 * answers every replica. So a pair goes as CLIENT ID, the write, WAIT,
 * CLIENT ID: two different IDs count as no acknowledgement.
 */
function sameConnection(pairOf: (cmds: readonly (readonly (string | number)[])[]) => Promise<unknown[]>, replicas: number, timeoutMs: number) {
  return async (w: readonly (string | number)[]): Promise<unknown[]> => {
    const [id1, reply, acks, id2] = await pairOf([['CLIENT', 'ID'], w, ['WAIT', replicas, timeoutMs], ['CLIENT', 'ID']]);
    if (reply instanceof Error) return [reply, acks];
    const same = !(id1 instanceof Error) && !(id2 instanceof Error) && String(id1) === String(id2);
    return [reply, same ? acks : 0];
  };
}

/** Commands the provider sends outside scripts that write what must not be undone. */
const DURABLE_COMMANDS = new Set(['DEL', 'HDEL', 'SET']);

// ---------------------------------------------------------------- ioredis, iovalkey

type IoCall = (...args: (string | number)[]) => Promise<unknown>;

interface IoClient {
  isCluster?: boolean;
  status?: string;
  options?: { keyPrefix?: string };
  condition?: { subscriber?: unknown } | null;
  defineCommand(name: string, definition: { numberOfKeys?: number; lua: string }): void;
  duplicate(overrides?: Record<string, unknown>): IoClient;
  call(command: string, ...args: (string | number)[]): Promise<unknown>;
  multi(commands: (string | number)[][]): { exec(): Promise<[Error | null, unknown][] | null> };
  pipeline(): unknown;
  ping(): Promise<unknown>;
  subscribe(channel: string): Promise<unknown>;
  disconnect(reconnect?: boolean): void;
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  once(event: string, fn: (...args: unknown[]) => void): unknown;
}

class IoRedisLink implements RedisLink {
  readonly kind = 'ioredis' as const;
  readonly cluster: boolean;
  readonly keyPrefix: string;
  readonly #c: IoClient;
  readonly #calls: Record<string, IoCall>;

  constructor(client: IoRedisLike) {
    this.#c = client as unknown as IoClient;
    this.#calls = client as unknown as Record<string, IoCall>;
    this.cluster = this.#c.isCluster === true;
    this.keyPrefix = this.cluster ? '' : (this.#c.options?.keyPrefix ?? '');
  }

  send(key: string, args: readonly (string | number)[]): Promise<unknown> {
    // The command's own method where there is one: its reply transformer, and auto-pipelining by key on a Cluster.
    const name = String(args[0]).toLowerCase();
    const fn = this.#calls[name];
    if (typeof fn === 'function' && KNOWN.has(name)) return fn.call(this.#c, key, ...args.slice(2));
    return this.#c.call(String(args[0]), ...args.slice(1));
  }

  prepare(scripts: readonly Script[]): void {
    ioDefine(this.#c, scripts);
  }

  script(s: Script, key: string, args: readonly (string | number)[]): Promise<unknown> {
    // defineCommand: EVALSHA with an EVAL fallback on NOSCRIPT, per node on a Cluster.
    ioDefine(this.#c, [s]);
    return (this.#calls[s.name] as IoCall).call(this.#c, key, ...args);
  }

  transaction(_key: string, commands: readonly (readonly (string | number)[])[]): Promise<unknown[] | null> {
    // ioredis Cluster sends a MULTI to the node of its commands' (one) slot; a standalone client
    // sends it as plain commands, which auto-pipelining batches with the tick's other commands.
    return this.cluster ? ioExec(this.#c, commands) : rawExec((args) => this.#c.call(String(args[0]), ...args.slice(1)), commands);
  }

  confirmed(key: string, write: Write, replicas: number, timeoutMs: number): Promise<[unknown, number]> {
    if (!this.cluster) {
      // Issued in one synchronous run: written back to back on the one connection, replies in order.
      return confirm(write, key, sameConnection((cmds) => Promise.all(cmds.map((c) => settle(this.#c.call(String(c[0]), ...c.slice(1))))), replicas, timeoutMs));
    }
    // A Cluster pipeline goes to the node of its keyed commands' slot: the WAIT with it.
    return confirm(
      write,
      key,
      sameConnection(async (cmds) => {
        // By each command's own method (evalsha, eval, del, hdel, set, client, wait): the pipeline finds the
        // key's slot from it (iovalkey does not from `call`, and would send the pipeline to another node).
        const p = this.#c.pipeline() as Record<string, (...a: (string | number)[]) => unknown> & { exec(): Promise<[Error | null, unknown][] | null> };
        for (const c of cmds) p[String(c[0]).toLowerCase()]!(...c.slice(1));
        const res = await p.exec();
        if (res === null) throw new Error('pipeline aborted');
        return res.map(([err, reply]) => err ?? reply);
      }, replicas, timeoutMs),
    );
  }

  duplicate(name: string): CacheConnection {
    return new IoCacheConnection(
      this.#c.duplicate({
        connectionName: name,
        enableReadyCheck: true,
        lazyConnect: false,
        autoResubscribe: false,
        enableOfflineQueue: true,
        // ioredis 6 speaks RESP3 by default, and then an invalidation sent to a
        // redirect target is a RESP3 push that ioredis drops; RESP2 makes it a
        // Pub/Sub message on __redis__:invalidate. (ioredis 5 and iovalkey ignore it.)
        protocol: 2,
      }),
    );
  }

  onEnd(fn: () => void): void {
    this.#c.once('end', fn);
  }
}

/** defineCommand once per client (another provider on the same client may have defined them already). */
function ioDefine(c: IoClient, scripts: readonly Script[]): void {
  const calls = c as unknown as Record<string, unknown>;
  for (const s of scripts) if (typeof calls[s.name] !== 'function') c.defineCommand(s.name, { numberOfKeys: 1, lua: s.lua });
}

/**
 * MULTI, the commands, EXEC as plain commands on one connection, issued in one
 * synchronous run so nothing comes between them (the client writes in call
 * order on its one socket): EXEC's reply, each command's reply or error in place.
 */
async function rawExec(
  send: (args: readonly (string | number)[]) => Promise<unknown>,
  commands: readonly (readonly (string | number)[])[],
): Promise<unknown[] | null> {
  const queued = [send(['MULTI']), ...commands.map((cmd) => send(cmd))];
  const exec = send(['EXEC']);
  // A refused MULTI or queueing (EXECABORT) rejects EXEC too: the error is EXEC's.
  for (const q of queued) q.catch(() => {});
  const replies = await exec;
  return replies === null || replies === undefined ? null : (replies as unknown[]);
}

/** ioredis `multi(commands).exec()`: each reply, or its error in its place. */
async function ioExec(c: IoClient, commands: readonly (readonly (string | number)[])[]): Promise<unknown[] | null> {
  // Through `call`: ioredis 5 has no method for commands newer than it (HSETEX).
  const replies = await c.multi(commands.map((cmd) => ['call', ...cmd])).exec();
  return replies === null ? null : replies.map(([err, reply]) => err ?? reply);
}

// Commands whose method takes (key, ...rest) exactly as sent: called by name.
const KNOWN = new Set(['hgetall', 'del', 'hdel', 'exists', 'expire', 'pttl', 'get', 'set']);

class IoCacheConnection implements CacheConnection {
  readonly #c: IoClient;
  readonly #calls: Record<string, IoCall>;
  #onKeys: ((keys: readonly string[] | null) => void) | null = null;

  constructor(c: IoClient) {
    this.#c = c;
    this.#calls = c as unknown as Record<string, IoCall>;
    c.on('error', () => {}); // reported as close/reconnecting; the app's client reports its own
    c.on('messageBuffer', (channel: unknown, message: unknown) => {
      if (String(channel) !== '__redis__:invalidate' || this.#onKeys === null) return;
      this.#onKeys(Array.isArray(message) ? message.map((k) => (Buffer.isBuffer(k) ? k.toString('utf8') : String(k))) : null);
    });
  }

  get ready(): boolean {
    return this.#c.status === 'ready';
  }

  on(event: 'ready' | 'lost', fn: () => void): void {
    if (event === 'ready') this.#c.on('ready', fn);
    else for (const e of ['close', 'end', 'reconnecting']) this.#c.on(e, fn);
  }

  send(args: readonly (string | number)[]): Promise<unknown> {
    return this.#c.call(String(args[0]), ...args.slice(1));
  }

  prepare(scripts: readonly Script[]): void {
    ioDefine(this.#c, scripts);
  }

  script(s: Script, key: string, args: readonly (string | number)[]): Promise<unknown> {
    ioDefine(this.#c, [s]);
    return (this.#calls[s.name] as IoCall).call(this.#c, key, ...args);
  }

  async transaction(commands: readonly (readonly (string | number)[])[]): Promise<unknown[] | null> {
    return ioExec(this.#c, commands);
  }

  confirmed(s: Script, key: string, args: readonly (string | number)[], replicas: number, timeoutMs: number): Promise<[unknown, number]> {
    return confirm({ script: s, args }, key, sameConnection((cmds) => Promise.all(cmds.map((c) => settle(this.#c.call(String(c[0]), ...c.slice(1))))), replicas, timeoutMs));
  }

  ping(): Promise<unknown> {
    return this.#c.ping();
  }

  async subscribeInvalidations(onKeys: (keys: readonly string[] | null) => void): Promise<number | null> {
    if (this.#c.condition?.subscriber) {
      // Still subscribed from before: CLIENT ID cannot be asked there. A new link ('ready' comes again).
      this.#c.disconnect(true);
      return null;
    }
    this.#onKeys = onKeys;
    const id = Number(await this.#c.call('CLIENT', 'ID'));
    await this.#c.subscribe('__redis__:invalidate');
    return id;
  }

  close(): void {
    this.#c.disconnect();
  }
}

// ---------------------------------------------------------------- node-redis

interface NodeClient {
  // client: sendCommand(args, options); cluster: sendCommand(firstKey, isReadonly, args, options)
  sendCommand(...args: unknown[]): Promise<unknown>;
  duplicate?(overrides?: Record<string, unknown>): NodeClient;
  connect?(): Promise<unknown>;
  destroy?(): void;
  disconnect?(): Promise<void>;
  isReady?: boolean;
  isOpen?: boolean;
  isPubSubActive?: boolean;
  subscribe?(channel: string, listener: (message: unknown, channel: string) => void): Promise<void>;
  unsubscribe?(): Promise<void>;
  on(event: string, fn: (...args: unknown[]) => void): unknown;
  once(event: string, fn: (...args: unknown[]) => void): unknown;
  multi?(routing?: string): unknown;
  listenerCount?(event: string): number;
  options?: { RESP?: number };
  // cluster only
  masters?: unknown;
  getSlotRandomNode?: unknown;
}

// RESP3 maps (HGETALL on node-redis 6) as a Map: node-redis's default, a plain
// object, would take a field named `__proto__` as the object's prototype.
const MAPS = { typeMapping: { [37 /* RESP_TYPES.MAP, '%' */]: Map } };

class NodeRedisLink implements RedisLink {
  readonly kind = 'node-redis' as const;
  readonly cluster: boolean;
  readonly keyPrefix = '';
  readonly #c: NodeClient;

  constructor(client: NodeRedisLike) {
    this.#c = client as unknown as NodeClient;
    this.cluster = typeof this.#c.getSlotRandomNode === 'function' || this.#c.masters !== undefined;
    // node-redis emits 'error' on every lost connection and failed reconnect: with no listener that
    // ends the process (ioredis only logs). As for pg's Pool: a listener when the app has none; the
    // provider reports the outage itself (ERR_STORE_UNAVAILABLE).
    if (this.#c.listenerCount?.('error') === 0) this.#c.on('error', () => {});
  }

  send(key: string, args: readonly (string | number)[]): Promise<unknown> {
    const a = args.map(String);
    return this.cluster ? this.#c.sendCommand(key, false, a, MAPS) : this.#c.sendCommand(a, MAPS);
  }

  prepare(): void {
    // Nothing to define: scripts go by EVALSHA/EVAL through sendCommand.
  }

  script(s: Script, key: string, args: readonly (string | number)[]): Promise<unknown> {
    return evalScript(s, (a) => this.send(key, a), key, args);
  }

  transaction(key: string, commands: readonly (readonly (string | number)[])[]): Promise<unknown[] | null> {
    if (!this.cluster) return rawExec((args) => this.#c.sendCommand(args.map(String), MAPS), commands);
    const multi = this.#c.multi?.(key) as NodeMulti | undefined;
    if (multi === undefined) throw new UnsupportedError('RedisProvider: this node-redis client has no multi()');
    for (const cmd of commands) {
      if (this.cluster) multi.addCommand(key, false, cmd.map(String));
      else multi.addCommand(cmd.map(String));
    }
    return nodeExec(multi);
  }

  confirmed(key: string, write: Write, replicas: number, timeoutMs: number): Promise<[unknown, number]> {
    if (!this.cluster) {
      // Issued in one synchronous run: all on the client's one connection, in order.
      return confirm(write, key, sameConnection((cmds) => Promise.all(cmds.map((c) => settle(this.#c.sendCommand(c.map(String), MAPS)))), replicas, timeoutMs));
    }
    // Not sendCommand: node-redis 6 routes WAIT by its command tips to every shard (and answers the
    // least count). A pipeline bound to `key`'s node carries the write and the WAIT together.
    return confirm(
      write,
      key,
      sameConnection(async (cmds) => {
        const m = this.#c.multi?.(key) as (NodeMulti & { execAsPipeline(): Promise<unknown[]> }) | undefined;
        if (m === undefined) throw new UnsupportedError('RedisProvider durable: this node-redis cluster has no multi()');
        for (const c of cmds) m.addCommand(key, false, c.map(String));
        try {
          return await m.execAsPipeline();
        } catch (err) {
          // A failed command rejects the pipeline: with every reply (MultiErrorReply), or with the error itself.
          const replies = (err as { replies?: unknown[] }).replies;
          return Array.isArray(replies) ? replies : [err, err, undefined, err];
        }
      }, replicas, timeoutMs),
    );
  }

  duplicate(name: string): CacheConnection {
    if (typeof this.#c.duplicate !== 'function') {
      throw new UnsupportedError('RedisProvider cache: this node-redis client cannot duplicate() its connection (a pool?); pass a createClient() client');
    }
    return new NodeCacheConnection(this.#c.duplicate({ RESP: 2, name, maintNotifications: 'disabled' }));
  }

  onEnd(fn: () => void): void {
    this.#c.once('end', fn);
  }
}

interface NodeMulti {
  addCommand(...args: unknown[]): NodeMulti;
  exec(): Promise<unknown[] | null>;
}

/** node-redis's `exec()`: each reply, or its error in its place (it rejects when any command failed). */
async function nodeExec(multi: NodeMulti): Promise<unknown[] | null> {
  try {
    return await multi.exec();
  } catch (err) {
    const replies = (err as { replies?: unknown[] }).replies;
    if (Array.isArray(replies)) return replies;
    throw err;
  }
}

/**
 * A script by its SHA-1 (EVALSHA), EVAL when the server does not know it yet
 * (a restart, a failover, another node). The first call of each script is
 * in this process is an EVAL, which loads it: no NOSCRIPT round trip on a
 * fresh server.
 */
const shas = new Map<string, string>();

async function evalScript(
  s: Script,
  send: (args: readonly (string | number)[]) => Promise<unknown>,
  key: string,
  args: readonly (string | number)[],
): Promise<unknown> {
  const sha = shas.get(s.name);
  if (sha === undefined) {
    shas.set(s.name, sha1(s.lua));
    return send(['EVAL', s.lua, 1, key, ...args]);
  }
  try {
    return await send(['EVALSHA', sha, 1, key, ...args]);
  } catch (err) {
    if (!isNoScript(err)) throw err;
    return send(['EVAL', s.lua, 1, key, ...args]);
  }
}

class NodeCacheConnection implements CacheConnection {
  readonly #c: NodeClient;

  constructor(c: NodeClient) {
    this.#c = c;
    c.on('error', () => {}); // node-redis reconnects by itself; without a listener an 'error' would kill the process
    void c.connect?.().catch(() => {});
  }

  get ready(): boolean {
    return this.#c.isReady === true;
  }

  on(event: 'ready' | 'lost', fn: () => void): void {
    if (event === 'ready') this.#c.on('ready', fn);
    else for (const e of ['end', 'reconnecting']) this.#c.on(e, fn);
  }

  send(args: readonly (string | number)[]): Promise<unknown> {
    return this.#c.sendCommand(args.map(String));
  }

  prepare(): void {
    // As NodeRedisLink.
  }

  script(s: Script, key: string, args: readonly (string | number)[]): Promise<unknown> {
    return evalScript(s, (a) => this.send(a), key, args);
  }

  confirmed(s: Script, key: string, args: readonly (string | number)[], replicas: number, timeoutMs: number): Promise<[unknown, number]> {
    return confirm({ script: s, args }, key, sameConnection((cmds) => Promise.all(cmds.map((c) => settle(this.send(c)))), replicas, timeoutMs));
  }

  transaction(commands: readonly (readonly (string | number)[])[]): Promise<unknown[] | null> {
    const multi = this.#c.multi?.() as NodeMulti | undefined;
    if (multi === undefined) throw new UnsupportedError('RedisProvider cache: this node-redis client has no multi()');
    for (const cmd of commands) multi.addCommand(cmd.map(String));
    return nodeExec(multi);
  }

  ping(): Promise<unknown> {
    return this.#c.sendCommand(['PING']);
  }

  async subscribeInvalidations(onKeys: (keys: readonly string[] | null) => void): Promise<number | null> {
    // node-redis resubscribes by itself after a reconnect; CLIENT ID needs the connection out of Pub/Sub first.
    if (this.#c.isPubSubActive === true) await this.#c.unsubscribe?.();
    const id = Number(await this.#c.sendCommand(['CLIENT', 'ID']));
    await this.#c.subscribe?.('__redis__:invalidate', (message) => {
      onKeys(Array.isArray(message) ? message.map(String) : null);
    });
    return id;
  }

  close(): void {
    try {
      this.#c.destroy?.();
    } catch {
      // already closed
    }
  }
}
