// The response object the in-process bench paths hand to session.start: just
// what the manager touches (headers, writeHead, end), and `done` called at end.
export class FakeRes {
  headers = new Map();
  headersSent = false;
  statusCode = 200;
  done = null;
  getHeader(n) { return this.headers.get(n.toLowerCase()); }
  setHeader(n, v) { this.headers.set(n.toLowerCase(), v); return this; }
  removeHeader(n) { this.headers.delete(n.toLowerCase()); }
  writeHead(status) { this.statusCode = status; this.headersSent = true; return this; }
  end() { if (!this.headersSent) this.writeHead(this.statusCode); this.done?.(); return this; }
}
