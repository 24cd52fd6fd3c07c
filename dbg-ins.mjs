import { MongoClient } from 'mongodb';
import { startEmbeddedServer } from './dist/src/embedded/index.js';
import { bulkDocs, layoutFor } from './dist/src/load/dataset.js';
const s = await startEmbeddedServer({ port: 0 });
const c = await new MongoClient(s.uri).connect();
const layout = layoutFor(20000);
for (let k=0;k<3;k++){
await c.db('market').dropDatabase();
let t = performance.now();
const docs = bulkDocs(layout, 0, 20000);
console.log('gen', performance.now()-t);
t = performance.now();
for (let i=0;i<20000;i+=1000) await c.db('market').collection('s').insertMany(docs.slice(i,i+1000), {ordered:false});
console.log('insertMany loop', performance.now()-t);
}
await c.close(); await s.stop();
