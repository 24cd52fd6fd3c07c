import { Worker } from 'node:worker_threads';
const t = performance.now();
const w = new Worker(`const t=performance.now(); import('mongodb').then(()=>{require('worker_threads').parentPort.postMessage(performance.now()-t)})`, { eval: true });
w.on('message', (m) => { console.log('import in worker', m, 'total', performance.now() - t); w.terminate(); });
