/** The server helper fails loudly, naming the Debian package, when a binary is missing. */
import { afterEach, describe, expect, it } from 'vitest';
import { requireBinary, startMemcached, startRedis } from '../helpers/servers.js';

const PATH = process.env.PATH;
const ENGINE = process.env.WS_REDIS_ENGINE;
const VALKEY = process.env.WS_VALKEY_SERVER;
afterEach(() => {
  process.env.PATH = PATH;
  const restore = (name: string, v: string | undefined): void => {
    if (v === undefined) delete process.env[name];
    else process.env[name] = v;
  };
  restore('WS_REDIS_ENGINE', ENGINE);
  restore('WS_VALKEY_SERVER', VALKEY);
});

describe('test server helper', () => {
  it('finds the binaries on PATH', () => {
    expect(requireBinary('redis-server')).toMatch(/redis-server$/);
    expect(requireBinary('redis-cli')).toMatch(/redis-cli$/);
    expect(requireBinary('memcached')).toMatch(/memcached$/);
  });

  it('a missing binary is an error naming the package to install', async () => {
    process.env.PATH = '/nonexistent';
    process.env.WS_REDIS_ENGINE = 'redis'; // the Redis engine comes from PATH (the matrix may have set valkey)
    expect(() => requireBinary('redis-cli')).toThrow('redis-cli not found on PATH: apt-get install -y redis-server');
    await expect(startRedis()).rejects.toThrow('redis-server not found on PATH: apt-get install -y redis-server');
    await expect(startMemcached()).rejects.toThrow('memcached not found on PATH: apt-get install -y memcached');
  });

  it('valkey without WS_VALKEY_SERVER is an error naming the fetch script, not a skip', async () => {
    process.env.WS_REDIS_ENGINE = 'valkey';
    delete process.env.WS_VALKEY_SERVER;
    await expect(startRedis()).rejects.toThrow('scripts/fetch-valkey.sh');
    process.env.WS_VALKEY_SERVER = '/nonexistent/valkey-server';
    await expect(startRedis()).rejects.toThrow('not an executable file');
  });
});
