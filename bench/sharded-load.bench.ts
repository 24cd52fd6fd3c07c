/**
 * `ticker load --sharded`: 8,000,000 documents loaded through the embedded 3-shard cluster's router (in its
 * own process) by the real loader (`runLoad`: pre-split and placed chunks, piscina workers, insertMany),
 * against, in the same run, the raw wire ceiling: the same driver workers pushing the same documents at a
 * sink that only decodes them (bench/lib/wire-sink.ts).
 * Targets: < 60 s, < 4 GB resident (server + loader, peak), docs/s and the ratio to the ceiling printed.
 *   node dist/bench/sharded-load.bench.js          (BENCH_QUICK=1: 1,000,000 documents)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { MongoClient } from 'mongodb';
import { bulkDocs, layoutFor } from '../src/load/dataset.js';
import { defaultWorkers, DEFAULT_BATCH_SIZE, runLoad } from '../src/load/loader.js';
import { spawnChild } from './lib/child.js';
import { round } from './lib/harness.js';
import { QUICK, type BenchResult } from './lib/result.js';

const SELF = fileURLToPath(import.meta.url);
const COUNT = QUICK ? 1_000_000 : 8_000_000;
const GB = 1024 ** 3;

/** Peak resident memory of a process (VmHWM), in bytes; 0 where /proc is missing. */
function peakRss(pid: number | 'self'): number {
  try {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The sharded cluster in its own process (as `ticker server --sharded` would run it). */
async function startServerChild(): Promise<{ port: number; child: ChildProcess; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--max-old-space-size=4096', '--max-semi-space-size=32', SELF, 'sharded-server'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    let buffered = '';
    child.once('exit', (code) => reject(new Error(`sharded server exited with ${code}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const nl = buffered.indexOf('\n');
      if (nl >= 0) resolve((JSON.parse(buffered.slice(0, nl)) as { port: number }).port);
    });
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    port,
    child,
    stop: async () => {
      child.stdin!.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** The ceiling: `workers` threads, each a driver client inserting its share in batches, two in flight. */
async function pushToSink(uri: string, count: number, workers: number, batchSize: number): Promise<number> {
  const started = performance.now();
  const per = Math.ceil(count / workers);
  await Promise.all(Array.from({ length: workers }, (_, w) => new Promise<void>((resolve, reject) => {
    const worker = new Worker(SELF, { workerData: { role: 'sink-pusher', uri, count, from: w * per, to: Math.min(count, (w + 1) * per), batchSize } });
    worker.once('error', reject);
    worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`pusher exited with ${code}`))));
  })));
  return (performance.now() - started) / 1000;
}

async function pusher(data: { uri: string; count: number; from: number; to: number; batchSize: number }): Promise<void> {
  const client = await new MongoClient(data.uri, { maxPoolSize: 4 }).connect();
  const coll = client.db('sink').collection<{ _id: string; price: number }>('stocksymbols');
  const layout = layoutFor(data.count);
  let next = data.from;
  const lane = async () => {
    while (next < data.to) {
      const from = next;
      next = Math.min(data.to, next + data.batchSize);
      await coll.insertMany(bulkDocs(layout, from, next), { ordered: false });
    }
  };
  await Promise.all([lane(), lane()]);
  await client.close();
  parentPort?.postMessage('done');
}

export async function run(): Promise<BenchResult[]> {
  const workers = defaultWorkers();
  const batchSize = DEFAULT_BATCH_SIZE;
  const server = await startServerChild();
  const uri = `mongodb://127.0.0.1:${server.port}/`;
  const client = await new MongoClient(uri).connect();
  let summary;
  let serverPeak = 0;
  let loaderPeak = 0;
  try {
    summary = await runLoad({ uri, client, db: 'market', coll: 'stocksymbols', count: COUNT, sharded: true, workers, batchSize });
    serverPeak = peakRss(server.child.pid!);
    loaderPeak = peakRss('self');
    const shares = await client.db('market').collection('stocksymbols').aggregate([{ $count: 'n' }]).toArray();
    if (shares[0]?.n !== COUNT + 13) throw new Error(`router holds ${shares[0]?.n} documents, expected ${COUNT + 13}`);
  } finally {
    await client.close();
    await server.stop();
  }

  const sink = await spawnChild<{ port: number }>('server-child', ['sink']);
  let sinkSeconds: number;
  try {
    sinkSeconds = await pushToSink(`mongodb://127.0.0.1:${sink.ready.port}/?replicaSet=rs0`, COUNT, workers, batchSize);
  } finally {
    await sink.stop();
  }
  const ceiling = COUNT / sinkSeconds;
  const docsPerSecond = summary.documents / summary.seconds;
  const scaled = summary.seconds * (8_000_000 / COUNT);
  const memory = serverPeak + loaderPeak;
  const notes = `${COUNT.toLocaleString('en-US')} docs, ${workers} workers x batches of ${batchSize}; 3 shards, no-op 10 s`;
  return [
    {
      name: `sharded load: ${COUNT.toLocaleString('en-US')} docs through the router (docs/s)`,
      value: round(docsPerSecond, 0),
      unit: 'docs/s',
      baseline: { name: 'raw wire ceiling (decode-only sink, same workers)', value: round(ceiling, 0) },
      ratio: round(docsPerSecond / ceiling, 3),
      notes,
    },
    {
      name: 'sharded load: seconds for 8,000,000 docs',
      value: round(scaled, 2),
      unit: 's',
      baseline: { name: 'the original (one insert per round trip, about an hour)', value: 3600 },
      ratio: round(scaled / 3600, 4),
      target: '< 60 s',
      pass: scaled < 60,
      notes: QUICK ? `scaled from ${round(summary.seconds, 2)} s for ${COUNT.toLocaleString('en-US')} docs` : undefined,
    },
    {
      name: 'sharded load: peak resident memory, server + loader',
      value: round(memory / GB, 2),
      unit: 'GB',
      baseline: { name: 'limit', value: 4 },
      ratio: round(memory / GB / 4, 3),
      target: '< 4 GB',
      pass: memory < 4 * GB,
      notes: `server ${round(serverPeak / GB, 2)} GB, loader ${round(loaderPeak / GB, 2)} GB`,
    },
  ];
}

async function serveSharded(): Promise<void> {
  const { startShardedCluster } = await import('../src/embedded/sharded/index.js');
  const cluster = await startShardedCluster({ port: 0, shards: 3 });
  process.stdout.write(`${JSON.stringify({ port: cluster.port, pid: process.pid })}\n`);
  process.stdin.resume();
  process.stdin.on('end', () => void cluster.stop().then(() => process.exit(0)));
}

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'sink-pusher') {
  await pusher(workerData);
} else if (isMainThread && process.argv[1] === SELF && process.argv[2] === 'sharded-server') {
  await serveSharded();
} else if (isMainThread && process.argv[1] === SELF) {
  for (const r of await run()) console.log(`${r.name}: ${r.value} ${r.unit} (baseline ${r.baseline.name}: ${r.baseline.value}; ratio ${r.ratio})${r.pass === undefined ? '' : r.pass ? ' PASS' : ' FAIL'}${r.notes ? ` — ${r.notes}` : ''}`);
}
