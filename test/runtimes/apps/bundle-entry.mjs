// Every entry that is meant to run outside Node, in one app, for the bundle checks.
import { MemoryProvider, Session, initWasm } from 'wasm-session';
import { createCodec } from 'wasm-session/crypto';
import { startWeb } from 'wasm-session/web';
import { honoSession } from 'wasm-session/hono';
import { CookieProvider } from 'wasm-session/cookie';

export { MemoryProvider, Session, initWasm, createCodec, startWeb, honoSession, CookieProvider };
