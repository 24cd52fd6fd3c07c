import { MongoClient } from 'mongodb';
import { startEmbeddedServer } from './dist/src/embedded/index.js';
import { runLoad } from './dist/src/load/index.js';
const s = await startEmbeddedServer({ port: 0 });
const c = await new MongoClient(s.uri).connect();
for (const w of [1,1,2,2]) {
await c.db('market').dropDatabase();
const t = performance.now();
let first;
const r = await runLoad({ uri: s.uri, client: c, db: 'market', coll: 'stocksymbols', workers: w, onProgress: (d)=>{ first ??= performance.now()-t; } });
console.log(w, r.seconds, 'first progress', first);
}
await c.close(); await s.stop();
