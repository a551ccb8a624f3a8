/**
 * HTTP helpers for the manager tests: a real `node:http` server on port 0,
 * a client over global `fetch` with a tough-cookie jar, and a raw
 * `node:http` request for headers fetch would refuse or rewrite.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseSetCookie, type SetCookie } from 'cookie';
import { CookieJar } from 'tough-cookie';

export type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

export interface TestServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** Starts `handler` on 127.0.0.1, port 0. A handler that throws answers 599 (tests fail loudly, not by timeout). */
export async function listen(handler: Handler): Promise<TestServer> {
  const server = createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((err: unknown) => {
        if (!res.headersSent) {
          res.statusCode = 599;
          res.setHeader('content-type', 'text/plain');
        }
        res.end(`handler threw: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`);
      });
  });
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface TestResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** Every Set-Cookie line, in order. */
  readonly setCookies: string[];
  readonly body: string;
}

/** The Set-Cookie lines for `name`, parsed. */
export function cookiesNamed(res: TestResponse, name: string): SetCookie[] {
  return res.setCookies.map((line) => parseSetCookie(line)).filter((c) => c.name === name);
}

/** The one Set-Cookie for `name`, or undefined; fails when there are several. */
export function cookieNamed(res: TestResponse, name: string): SetCookie | undefined {
  const all = cookiesNamed(res, name);
  if (all.length > 1) throw new Error(`${all.length} Set-Cookie lines for ${name}: ${res.setCookies.join(' | ')}`);
  return all[0];
}

export function json<T>(res: TestResponse): T {
  try {
    return JSON.parse(res.body) as T;
  } catch {
    throw new Error(`not JSON (status ${res.status}): ${res.body.slice(0, 200)}`);
  }
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** A browser-like client: fetch plus a cookie jar. */
export class Client {
  readonly jar = new CookieJar();
  constructor(readonly base: string) {}

  async get(path: string, options: RequestOptions = {}): Promise<TestResponse> {
    return this.request(path, options);
  }

  async post(path: string, form: Record<string, string> = {}): Promise<TestResponse> {
    return this.request(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }

  async request(path: string, options: RequestOptions = {}): Promise<TestResponse> {
    const url = new URL(path, this.base).toString();
    const headers = new Headers(options.headers);
    const cookie = await this.jar.getCookieString(url);
    if (cookie && !headers.has('cookie')) headers.set('cookie', cookie);
    const init: RequestInit = { method: options.method ?? 'GET', headers, redirect: 'manual' };
    if (options.body !== undefined) init.body = options.body;
    const res = await fetch(url, init);
    const setCookies = res.headers.getSetCookie();
    for (const line of setCookies) await this.jar.setCookie(line, url, { ignoreError: true });
    const out: Record<string, string | string[] | undefined> = {};
    res.headers.forEach((v, k) => {
      out[k] = v;
    });
    out['set-cookie'] = setCookies;
    return { status: res.status, headers: out, setCookies, body: await res.text() };
  }

  /** The value the jar would send for cookie `name`, or undefined. */
  async cookie(name: string): Promise<string | undefined> {
    const cookies = await this.jar.getCookies(this.base);
    return cookies.find((c) => c.key === name)?.value;
  }

  /** Puts a cookie in the jar as if the server had set it. */
  async setCookie(name: string, value: string): Promise<void> {
    await this.jar.setCookie(`${name}=${value}; Path=/`, this.base);
  }
}

/**
 * A request over `node:http` with headers exactly as given (duplicates as
 * arrays, oversized values, odd characters): what fetch would refuse.
 */
export function rawRequest(base: string, path: string, options: { method?: string; headers?: Record<string, string | string[]>; body?: string } = {}): Promise<TestResponse> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: options.method ?? 'GET', headers: options.headers ?? {}, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const sc = res.headers['set-cookie'];
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            setCookies: sc === undefined ? [] : sc,
            body: Buffer.concat(chunks).toString('utf8'),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
