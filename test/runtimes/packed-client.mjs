// The HTTP side of scripts/test-packed.sh, on the host's Node: starts the
// packed app's server (its command given), then over real HTTP: a new session
// gets a cookie, the cookie restores it, a tampered cookie gives a fresh one.
//   node packed-client.mjs APP_DIR SECRET EXPECTED_BACKEND -- NODE_COMMAND...
import { spawn } from 'node:child_process';

const [appDir, secret, expected, sep, ...command] = process.argv.slice(2);
if (sep !== '--' || command.length === 0) throw new Error('usage: packed-client.mjs APP_DIR SECRET BACKEND -- NODE...');
const child = spawn(command[0], [...command.slice(1), 'packed-server.mjs', secret], { cwd: appDir, stdio: ['ignore', 'pipe', 'inherit'] });
const fail = (m) => {
  console.error('test-packed.sh: FAIL: HTTP: ' + m);
  child.kill('SIGKILL');
  process.exit(1);
};
// Under qemu a cold Node takes a while to start on a loaded machine.
const timer = setTimeout(() => fail('the app printed no port in 300 s'), 300_000);
child.once('exit', (code) => fail(`the app exited (${code}) before the test ended`));
let out = '';
const port = await new Promise((resolve) => {
  child.stdout.on('data', (d) => {
    out += d;
    const line = out.split('\n').find((l) => l.startsWith('{"port"'));
    if (line) resolve(JSON.parse(line).port);
  });
});
clearTimeout(timer);
const get = async (sid) => {
  const res = await fetch(`http://127.0.0.1:${port}/`, { headers: sid ? { cookie: `sid=${sid}` } : {}, signal: AbortSignal.timeout(120_000) });
  const body = await res.json();
  const cookie = res.headers.getSetCookie().map((l) => /^sid=([^;]*)/.exec(l)?.[1]).find(Boolean);
  if (res.status !== 200) fail(`status ${res.status}: ${JSON.stringify(body)}`);
  return { body, cookie };
};
const first = await get();
if (!first.cookie || first.body.n !== 1 || !first.body.isNew) fail('first request: ' + JSON.stringify(first));
const second = await get(first.cookie);
if (second.body.n !== 2 || second.body.isNew) fail('the cookie did not restore the session: ' + JSON.stringify(second));
const tampered = await get(first.cookie.slice(0, -2) + (first.cookie.endsWith('AA') ? 'BB' : 'AA'));
if (tampered.body.n !== 1 || !tampered.body.isNew) fail('a tampered cookie was accepted: ' + JSON.stringify(tampered));
if (first.body.backend !== expected) fail(`backend ${first.body.backend}, expected ${expected}`);
child.removeAllListeners('exit');
child.kill('SIGTERM');
console.error(`test-packed.sh: HTTP round trip OK (${first.body.arch}, backend ${first.body.backend}): new, restored, tampered -> new`);
