/**
 * End to end in headless Chromium (Debian's `chromium`, driven by
 * playwright-core) against the example apps as users run them: each example
 * is started as its own process on port 0 and must answer on the URL it
 * prints. Needs dist/ (`npm run build`; `npm test` runs it first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = ['http', 'express', 'fastify', 'koa', 'hono'] as const;

interface Example {
  url: string;
  child: ChildProcess;
}

/** Every example process started, so all are stopped even if another failed to start. */
const children: ChildProcess[] = [];
process.once('exit', () => {
  for (const child of children) child.kill();
});

/** Starts `examples/<name>` on port 0 and resolves with the URL it prints. */
function startExample(name: string): Promise<Example> {
  const child = spawn(process.execPath, ['examples/run.js', name], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', SESSION_SECRET: 'browser-test-secret-0123456789-abcdefgh' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill();
      reject(new Error(`example ${name} printed no URL in 15s:\n${out}`));
    }, 15_000);
    const onData = (chunk: Buffer): void => {
      out += chunk.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m?.[1] === undefined) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      // The printed host is "localhost"; the browser goes to 127.0.0.1 to stay on IPv4.
      resolve({ url: m[1].replace('//localhost:', '//127.0.0.1:'), child });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`example ${name} exited (${code}) before listening:\n${out}`));
    });
  });
}

/** A valid token with one character changed (still base64url). */
function tamper(token: string): string {
  const i = Math.floor(token.length / 2);
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

async function cookieMap(context: BrowserContext): Promise<Map<string, { value: string; httpOnly: boolean }>> {
  return new Map((await context.cookies()).map((c) => [c.name, { value: c.value, httpOnly: c.httpOnly }]));
}

async function logIn(page: Page, url: string, user: string, remember: boolean): Promise<void> {
  await page.goto(new URL('/login', url).href);
  await page.fill('input[name=user]', user);
  if (remember) await page.check('input[name=remember]');
  await Promise.all([page.waitForURL(new URL('/login', url).href), page.click('button')]);
  expect(await page.textContent('body')).toContain(`Hello, ${user}`);
}

describe('browser (headless Chromium) against the examples', () => {
  let browser: Browser;
  const running = new Map<string, Example>();

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
    if (!existsSync(`${ROOT}/dist/index.js`)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
    const [b, ...apps] = await Promise.all([
      chromium.launch({
        executablePath: CHROMIUM,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'],
      }),
      ...EXAMPLES.map((name) => startExample(name)),
    ]);
    browser = b as Browser;
    EXAMPLES.forEach((name, i) => running.set(name, apps[i] as Example));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const child of children) child.kill();
  });

  for (const name of EXAMPLES) {
    it(`${name}: login persists across reloads, HttpOnly, tamper → fresh session, remember-me, logout`, async () => {
      const { url } = running.get(name) as Example;
      const context = await browser.newContext();
      try {
        const page = await context.newPage();
        // Answers on its printed URL.
        const first = await page.goto(url);
        expect(first?.status()).toBe(200);
        expect(await page.textContent('body')).toContain('Not logged in.');

        await logIn(page, url, 'alice', true);
        await page.reload();
        expect(await page.textContent('body')).toContain('Hello, alice');
        await page.goto(url);
        expect(await page.textContent('body')).toContain('Logged in as alice');

        // The session cookies are HttpOnly: there, but invisible to scripts.
        const cookies = await cookieMap(context);
        expect(cookies.get('sid')?.httpOnly).toBe(true);
        expect(cookies.get('sid_remember')?.httpOnly).toBe(true);
        const visible = await page.evaluate(() => document.cookie);
        expect(visible).not.toContain('sid');

        // A tampered session cookie: a fresh session page, not an error page
        // (the remember-me cookie then logs alice back in).
        await context.addCookies([{ name: 'sid', value: tamper(cookies.get('sid')?.value ?? ''), url }]);
        const tampered = await page.goto(url);
        expect(tampered?.status()).toBe(200);
        const text = await page.textContent('body');
        expect(text).toContain('New session (invalid)');
        expect(text).toContain('Logged in as alice');

        // "Browser restart": the session cookie is gone, remember-me logs back in.
        await context.clearCookies({ name: 'sid' });
        await page.goto(url);
        expect(await page.textContent('body')).toContain('Logged in as alice');

        // Logout clears both cookies.
        await page.goto(new URL('/login', url).href);
        await Promise.all([page.waitForURL(new URL('/login', url).href), page.click('button')]);
        expect(await page.textContent('body')).toContain('Remember me');
        const after = await cookieMap(context);
        expect(after.has('sid')).toBe(false);
        expect(after.has('sid_remember')).toBe(false);
        await page.goto(url);
        expect(await page.textContent('body')).toContain('Not logged in.');
      } finally {
        await context.close();
      }
    });
  }
});
