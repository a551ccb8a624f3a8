'use strict';
// CommonJS entry of `wasm-session/express-session`: `require` returns the
// middleware factory itself (with Store, MemoryStore, Session, Cookie), as
// `require('express-session')` does. require(esm) would give the namespace.
const ns = require('./dist/express-session/index.js');
module.exports = ns.default;
