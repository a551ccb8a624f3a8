/**
 * Type-level test without a SessionData declaration: everything stays as it
 * was (string keys, JsonValue, `get<T>` as the caller's claim); a schema types
 * its Session; errors narrow by code.
 */
import http from 'node:http';
import { z } from 'zod';
import {
  MemoryProvider,
  Session,
  StoreUnavailableError,
  isSessionError,
  type JsonValue,
  type SessionErrorCode,
} from 'wasm-session';
import { expressSession } from 'wasm-session/express';

const plain = new Session(new MemoryProvider(), { cookieSecret: process.env.SESSION_SECRET ?? '' });

http.createServer(async (req, res) => {
  const v = (await plain.start(req, res)).getValue();
  const any: JsonValue | undefined = v.get('anything');
  const claimed: { id: string } | undefined = v.get<{ id: string }>('user');
  v.set('when', new Date()); // unaugmented: checked at run time (InvalidValueError), as before
  v.set('n', 1).del('n');
  void [any, claimed];
  res.end();
});

// A schema types its Session: get returns the schema's output type.
const schema = z.object({ user: z.object({ id: z.string(), roles: z.array(z.string()) }).optional(), visits: z.number().optional() });
const typed = new Session(new MemoryProvider(), { cookieSecret: process.env.SESSION_SECRET ?? '', schema });
http.createServer(async (req, res) => {
  const v = (await typed.start(req, res)).getValue();
  const id: string | undefined = v.get('user')?.id;
  v.set('visits', (v.get('visits') ?? 0) + 1);
  // @ts-expect-error not in the schema
  v.get('usr');
  // @ts-expect-error wrong type for the key
  v.set('visits', 'many');
  void id;
  res.end();
});
// Adapters take a schema-typed Session too.
expressSession(typed);

// Errors narrow by code, across copies of the package (no instanceof needed).
export function status(err: unknown): number {
  if (isSessionError(err, 'ERR_STORE_UNAVAILABLE')) {
    const same: StoreUnavailableError = err;
    const code: 'ERR_STORE_UNAVAILABLE' = err.code;
    void [same, code];
    return 503;
  }
  if (isSessionError(err)) {
    const code: SessionErrorCode = err.code;
    // @ts-expect-error the code is one of the library's, not any string
    const literal: 'ERR_STORE_UNAVAILABLE' = err.code;
    void [code, literal];
    return 400;
  }
  // @ts-expect-error not a code of this library
  isSessionError(err, 'ERR_NOPE');
  return 500;
}
// Each class fixes its literal code.
const e = new StoreUnavailableError('down');
const c: 'ERR_STORE_UNAVAILABLE' = e.code;
void c;
