// `npm run example -- <name>`: runs examples/<name>/server.js (after `npm run build`).
// `npm start` runs the node:http one (examples/http).
import { readdirSync, existsSync } from 'node:fs';

const here = new URL('./', import.meta.url);
const names = readdirSync(here, { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(new URL(`${d.name}/server.js`, here)))
  .map((d) => d.name)
  .sort();
const name = process.argv[2];
if (!name || !names.includes(name)) {
  console.error(`usage: npm run example -- <${names.join('|')}>`);
  process.exit(2);
}
await import(new URL(`${name}/server.js`, here).href);
