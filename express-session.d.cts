// Types of the CommonJS entry: `const session = require('wasm-session/express-session')`.
import type { SessionFactory } from './dist/express-session/index.js';
declare const session: SessionFactory;
export = session;
