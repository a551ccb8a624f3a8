// In-process cost of a returning request (Session + MemoryProvider, fake
// req/res as in manager-path.js) with few and with many sessions circulating:
// 1,000 vs 100,000 distinct cookies, requests spread over all of them, rounds
// interleaved (A B A B …), median µs/request per side and the ratio.
// The per-request cost must not grow with the traffic: the verified-token
// cache and the store must not get slower past their bounds.
//   node bench/tools/circulating.js [backend]   (ROUNDS, REQUESTS, SIZES=1000,100000)
import { runCirculating, runTokenCache } from '../lib/circulating.js';

const backend = process.argv[2] ?? 'wasm';
const log = (s) => process.stderr.write(`${s}\n`);
const r = await runCirculating({ backend, log });
r.tokenCache = await runTokenCache({ backend, log });
console.log(JSON.stringify(r, null, 2));
