// express 5 with no sessions: the same handler shape, for what express itself costs.
import { createServer } from 'node:http';
import express from 'express';
import { listen } from './_common.js';

const app = express();
let n = 0;
app.get('/', (req, res) => {
  n++;
  res.type('text/plain').send(String(n));
});
listen(createServer(app));
