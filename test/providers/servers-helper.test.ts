/** The server helper fails loudly, naming the Debian package, when a binary is missing. */
import { afterEach, describe, expect, it } from 'vitest';
import { requireBinary, startMemcached, startRedis } from '../helpers/servers.js';

const PATH = process.env.PATH;
afterEach(() => {
  process.env.PATH = PATH;
});

describe('test server helper', () => {
  it('finds the binaries on PATH', () => {
    expect(requireBinary('redis-server')).toMatch(/redis-server$/);
    expect(requireBinary('redis-cli')).toMatch(/redis-cli$/);
    expect(requireBinary('memcached')).toMatch(/memcached$/);
  });

  it('a missing binary is an error naming the package to install', async () => {
    process.env.PATH = '/nonexistent';
    expect(() => requireBinary('redis-cli')).toThrow('redis-cli not found on PATH: apt-get install -y redis-server');
    await expect(startRedis()).rejects.toThrow('redis-server not found on PATH: apt-get install -y redis-server');
    await expect(startMemcached()).rejects.toThrow('memcached not found on PATH: apt-get install -y memcached');
  });
});
