/** The published package needs no install-time script (npm 11 is moving to approve-only install scripts). */
import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';

test('package.json has no preinstall/install/postinstall/prepare script', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { scripts?: Record<string, string> };
  for (const hook of ['preinstall', 'install', 'postinstall', 'prepare']) expect(pkg.scripts?.[hook], hook).toBeUndefined();
});
