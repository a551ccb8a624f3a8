// What ran where: machine, Node, package versions, git commit.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const PACKAGES = [
  'wasm-session', 'autocannon', 'benchmark', 'express', 'express-session', 'connect-redis', 'redis', 'ioredis', 'iron-session',
  'fastify', '@fastify/secure-session', 'cookie-signature', 'nanoid', 'uid-safe', '@noble/ciphers', '@noble/hashes', 'lru-cache', 'cookie',
];

function version(name) {
  try {
    const file = name === 'wasm-session' ? `${ROOT}package.json` : `${ROOT}node_modules/${name}/package.json`;
    return JSON.parse(readFileSync(file, 'utf8')).version;
  } catch {
    return null;
  }
}

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    cpuModel: cpus[0]?.model?.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: os.loadavg().map((x) => Math.round(x * 100) / 100),
    hostname: os.hostname(),
  };
}

export function environment() {
  const commit = git(['rev-parse', 'HEAD']);
  const dirty = git(['status', '--porcelain', '--untracked-files=no']);
  return {
    node: process.version,
    v8: process.versions.v8,
    openssl: process.versions.openssl,
    packages: Object.fromEntries(PACKAGES.map((p) => [p, version(p)])),
    git: commit ? { commit, dirty: Boolean(dirty) } : null,
  };
}
