/**
 * Soak: mutate at a steady rate with many change-stream listeners while faults are injected every few
 * seconds, then check that every listener saw every acknowledged write exactly once, in order, and that
 * resident memory stayed flat after the first minute.
 *
 *   node dist/scripts/soak.js [--duration 10m] [--rate 2000] [--listeners 10] [--lanes 4]
 *                             [--fault-every 3s-6s] [--no-faults] [--seed 42] [--json]
 *
 * The embedded server runs in this process (as `ticker server` would); writers and listeners use the
 * official driver. Each write is an upsert `{ $set: { seq } }` on key `<lane>:<seq % keys>`, so the data
 * and the oplog reach a steady size within the first minute: memory growth after that is a leak.
 */
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { setTimeout as delay } from 'node:timers/promises';
import { MongoClient, type ChangeStreamDocument, type Document } from 'mongodb';
import { FaultPlan, type Fault, type FaultKind } from '../src/embedded/faults.js';
import { startEmbeddedServer } from '../src/embedded/index.js';
import { formatDuration, parseDuration } from '../src/util/duration.js';

export interface SoakOptions {
  durationMs: number;
  /** Writes per second, over all lanes. */
  rate: number;
  listeners: number;
  /** Concurrent writer loops; order is checked per lane. */
  lanes?: number;
  /** Distinct keys per lane (bounds the collection). */
  keysPerLane?: number;
  /** Gap between faults [min, max] ms; undefined: no faults. */
  faultEveryMs?: [number, number];
  seed?: number;
  /** Oplog entries kept (bounds the oplog); default 10 s of writes, so it is full well within the first minute. */
  oplogEntries?: number;
  sampleEveryMs?: number;
  /** Run the server on its own thread (default), so that it and the clients use two cores. */
  serverInWorker?: boolean;
  log?: (line: string) => void;
}

interface ServerSettings {
  oplogEntries: number;
  faultEveryMs?: [number, number];
  seed: number;
}

/** The embedded server and its fault plan, here or on a worker thread; faults start on `startFaults`. */
interface SoakServer {
  uri: string;
  startFaults(onFault: (fault: Fault) => void): void;
  stopFaults(): Promise<void>;
  stop(): Promise<void>;
}

async function localServer(settings: ServerSettings): Promise<SoakServer> {
  const embedded = await startEmbeddedServer({ port: 0, oplogEntries: settings.oplogEntries });
  let plan: FaultPlan | undefined;
  return {
    uri: embedded.uri,
    startFaults: (onFault) => {
      if (settings.faultEveryMs) plan = new FaultPlan(embedded.server.faults, { seed: settings.seed, intervalMs: settings.faultEveryMs, onFault }).start();
    },
    stopFaults: async () => plan?.stop(),
    stop: () => embedded.stop(),
  };
}

type FromWorker = { type: 'ready'; uri: string } | { type: 'fault'; fault: Fault } | { type: 'faultsStopped' } | { type: 'stopped' };

async function workerServer(settings: ServerSettings): Promise<SoakServer> {
  const worker = new Worker(new URL(import.meta.url), { workerData: { role: 'soak-server', settings } });
  let onFault: (fault: Fault) => void = () => {};
  const waiters = new Map<string, () => void>();
  const uri = await new Promise<string>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (m: FromWorker) => {
      if (m.type === 'ready') resolve(m.uri);
      else if (m.type === 'fault') onFault(m.fault);
      else waiters.get(m.type)?.();
    });
  });
  const ask = (message: string, reply: string) => new Promise<void>((resolve) => {
    waiters.set(reply, resolve);
    worker.postMessage(message);
  });
  return {
    uri,
    startFaults: (handler) => {
      onFault = handler;
      worker.postMessage('startFaults');
    },
    stopFaults: () => ask('stopFaults', 'faultsStopped'),
    stop: async () => {
      await ask('stop', 'stopped');
      await worker.terminate();
    },
  };
}

/** Worker-thread side of workerServer. */
async function serveInWorker(settings: ServerSettings): Promise<void> {
  const server = await localServer(settings);
  const port = parentPort!;
  port.on('message', async (m: string) => {
    if (m === 'startFaults') server.startFaults((fault) => port.postMessage({ type: 'fault', fault } satisfies FromWorker));
    else if (m === 'stopFaults') {
      await server.stopFaults();
      port.postMessage({ type: 'faultsStopped' } satisfies FromWorker);
    } else if (m === 'stop') {
      await server.stop();
      port.postMessage({ type: 'stopped' } satisfies FromWorker);
    }
  });
  port.postMessage({ type: 'ready', uri: server.uri } satisfies FromWorker);
}

export interface ListenerResult {
  received: number;
  /** Events for a lane at or below a sequence number already seen (a duplicate or a reordering). */
  outOfOrder: number;
  /** Acknowledged writes never seen. */
  missing: number;
  resumes: number;
  streamErrors: string[];
}

export interface SoakResult {
  ok: boolean;
  problems: string[];
  durationMs: number;
  requestedRate: number;
  achievedRate: number;
  acked: number;
  failed: number;
  maxBehindMs: number;
  faults: Partial<Record<FaultKind, number>>;
  listeners: ListenerResult[];
  rss: { atS: number; mb: number }[];
  /** Resident memory at the end of the first minute, the highest in the last minute, and the difference. */
  memory?: { firstMinuteMB: number; lastMinuteMaxMB: number; growthMB: number };
}

/** A growable bit set over sequence numbers. */
class SeqSet {
  private bits = new Uint8Array(1024);
  count = 0;

  add(seq: number): void {
    const byte = seq >>> 3;
    if (byte >= this.bits.length) {
      const grown = new Uint8Array(Math.max(this.bits.length * 2, byte + 1));
      grown.set(this.bits);
      this.bits = grown;
    }
    const mask = 1 << (seq & 7);
    if (!(this.bits[byte] & mask)) this.count++;
    this.bits[byte] |= mask;
  }

  has(seq: number): boolean {
    const byte = seq >>> 3;
    return byte < this.bits.length && (this.bits[byte] & (1 << (seq & 7))) !== 0;
  }
}

const MB = 1024 * 1024;

export async function runSoak(options: SoakOptions): Promise<SoakResult> {
  const lanes = options.lanes ?? 4;
  const keysPerLane = options.keysPerLane ?? 2_000;
  const log = options.log ?? (() => {});
  const sampleEveryMs = options.sampleEveryMs ?? 10_000;
  const settings: ServerSettings = { oplogEntries: options.oplogEntries ?? Math.max(10_000, options.rate * 10), faultEveryMs: options.faultEveryMs, seed: options.seed ?? 42 };
  const embedded = options.serverInWorker === false ? await localServer(settings) : await workerServer(settings);
  const problems: string[] = [];
  const faults: Partial<Record<FaultKind, number>> = {};
  const ackedSets = Array.from({ length: lanes }, () => new SeqSet());
  const lastAcked = new Array<number>(lanes).fill(-1);
  let failed = 0;
  let maxBehindMs = 0;
  const listenerClients: MongoClient[] = [];
  const writer = new MongoClient(embedded.uri, { maxPoolSize: lanes + 2 });
  try {
    // Listeners: each its own client and change stream, open before the first write.
    const listeners = await Promise.all(Array.from({ length: options.listeners }, async () => {
      const client = new MongoClient(embedded.uri, { monitorCommands: true });
      listenerClients.push(client);
      const state = { received: new Array<SeqSet>(), last: new Array<number>(lanes).fill(-1), outOfOrder: 0, opens: 0, streamErrors: new Array<string>() };
      for (let i = 0; i < lanes; i++) state.received.push(new SeqSet());
      client.on('commandStarted', (e) => {
        if (e.commandName === 'aggregate' && e.command.pipeline?.[0]?.$changeStream) state.opens++;
      });
      let stream = client.db('soak').collection('keys').watch<Document, ChangeStreamDocument<Document>>([], { maxAwaitTimeMS: 500 });
      await stream.tryNext();
      const onChange = (change: ChangeStreamDocument<Document>) => {
        if (change.operationType !== 'insert' && change.operationType !== 'update') return;
        const lane = Number(String(change.documentKey._id).split(':')[0]);
        const seq = (change.operationType === 'insert' ? change.fullDocument.seq : change.updateDescription.updatedFields?.seq) as number;
        if (seq <= state.last[lane]) {
          if (state.outOfOrder++ < 5) problems.push(`listener saw lane ${lane} seq ${seq} after ${state.last[lane]}`);
        } else {
          state.last[lane] = seq;
        }
        state.received[lane].add(seq);
      };
      let closing = false;
      const consuming = (async () => {
        while (!closing) {
          try {
            onChange(await stream.next());
          } catch (err) {
            if (closing) return;
            // The driver gave up: a failure of the run. Go on from the last token to keep measuring the rest.
            state.streamErrors.push(String(err));
            const token = stream.resumeToken;
            await stream.close().catch(() => {});
            stream = client.db('soak').collection('keys').watch([], { maxAwaitTimeMS: 500, resumeAfter: token });
          }
        }
      })();
      const close = async () => {
        closing = true;
        await stream.close();
        await consuming;
      };
      return { state, close };
    }));

    embedded.startFaults((fault) => {
      faults[fault.kind] = (faults[fault.kind] ?? 0) + 1;
      log(`fault: ${fault.kind}${fault.durationMs ? ` ${formatDuration(fault.durationMs)}` : ''}`);
    });

    const rss: SoakResult['rss'] = [];
    const started = Date.now();
    const sample = () => {
      rss.push({ atS: Math.round((Date.now() - started) / 1000), mb: Math.round(process.memoryUsage().rss / MB) });
      const acked = ackedSets.reduce((n, s) => n + s.count, 0);
      const slowest = Math.min(...listeners.map((l) => l.state.received.reduce((n, s) => n + s.count, 0)));
      log(`${rss.at(-1)!.atS}s rss ${rss.at(-1)!.mb} MB, acked ${acked}, failed ${failed}, slowest listener ${slowest}`);
    };
    sample();
    const sampler = setInterval(sample, sampleEveryMs);

    // Writers: lane i sends its k-th write at start + k * lanes / rate (catching up at once when late).
    const interval = (lanes * 1000) / options.rate;
    const coll = writer.db('soak').collection<{ _id: string; seq: number }>('keys');
    let sent = 0;
    await Promise.all(Array.from({ length: lanes }, async (_, lane) => {
      for (let seq = 0; ; seq++) {
        const intended = started + seq * interval + (lane * interval) / lanes;
        // The run lasts durationMs of wall time: a writer that fell behind does not run over.
        if (intended - started >= options.durationMs || Date.now() - started >= options.durationMs) return;
        const wait = intended - Date.now();
        if (wait > 0) await delay(wait);
        else maxBehindMs = Math.max(maxBehindMs, -wait);
        sent++;
        try {
          await coll.updateOne({ _id: `${lane}:${seq % keysPerLane}` }, { $set: { seq } }, { upsert: true });
          ackedSets[lane].add(seq);
          lastAcked[lane] = seq;
        } catch (err) {
          if (failed++ < 5) log(`write ${lane}:${seq} failed: ${String(err)}`);
        }
      }
    }));
    const elapsed = Date.now() - started;
    await embedded.stopFaults();
    log(`writes done in ${formatDuration(elapsed)}; waiting for the listeners`);

    // Drain: every listener must reach every lane's last acknowledged write.
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && listeners.some((l) => l.state.last.some((seq, lane) => seq < lastAcked[lane]))) await delay(100);
    clearInterval(sampler);
    sample();

    const listenerResults: ListenerResult[] = listeners.map(({ state }, i) => {
      let missing = 0;
      for (let lane = 0; lane < lanes; lane++) {
        for (let seq = 0; seq <= lastAcked[lane]; seq++) {
          if (ackedSets[lane].has(seq) && !state.received[lane].has(seq)) {
            if (missing++ < 3) problems.push(`listener ${i} never saw acknowledged write ${lane}:${seq}`);
          }
        }
      }
      if (state.streamErrors.length > 0) problems.push(`listener ${i}: the driver gave up the change stream: ${state.streamErrors[0]}`);
      return {
        received: state.received.reduce((n, s) => n + s.count, 0),
        outOfOrder: state.outOfOrder,
        missing,
        resumes: Math.max(0, state.opens - 1),
        streamErrors: state.streamErrors,
      };
    });
    await Promise.all(listeners.map((l) => l.close()));

    const acked = ackedSets.reduce((n, s) => n + s.count, 0);
    let memory: SoakResult['memory'];
    const firstMinute = rss.filter((s) => s.atS <= 60);
    const lastMinute = rss.filter((s) => s.atS >= rss.at(-1)!.atS - 60);
    if (elapsed >= 120_000 && firstMinute.length > 0) {
      const firstMinuteMB = firstMinute.at(-1)!.mb;
      const lastMinuteMaxMB = Math.max(...lastMinute.map((s) => s.mb));
      memory = { firstMinuteMB, lastMinuteMaxMB, growthMB: lastMinuteMaxMB - firstMinuteMB };
    }
    return {
      ok: problems.length === 0,
      problems,
      durationMs: elapsed,
      requestedRate: options.rate,
      achievedRate: Math.round((sent * 1000) / elapsed),
      acked,
      failed,
      maxBehindMs: Math.round(maxBehindMs),
      faults,
      listeners: listenerResults,
      rss,
      memory,
    };
  } finally {
    await writer.close();
    await Promise.all(listenerClients.map((c) => c.close()));
    await embedded.stop();
  }
}

function parseArgs(argv: string[]): SoakOptions & { json: boolean } {
  const options: SoakOptions & { json: boolean } = { durationMs: 600_000, rate: 2_000, listeners: 10, faultEveryMs: [3_000, 6_000], json: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    const positive = (v: string) => {
      const n = Number(v);
      if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive whole number, got "${v}"`);
      return n;
    };
    if (flag === '--duration') options.durationMs = parseDuration(value());
    else if (flag === '--rate') options.rate = positive(value());
    else if (flag === '--listeners') options.listeners = positive(value());
    else if (flag === '--lanes') options.lanes = positive(value());
    else if (flag === '--seed') options.seed = positive(value());
    else if (flag === '--fault-every') {
      const [lo, hi = lo] = value().split('-').map(parseDuration);
      options.faultEveryMs = [lo, hi];
    } else if (flag === '--no-faults') options.faultEveryMs = undefined;
    else if (flag === '--json') options.json = true;
    else throw new Error(`unknown option ${flag}`);
  }
  return options;
}

async function main(): Promise<void> {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(`soak: ${(err as Error).message}`);
    process.exit(2);
  }
  const result = await runSoak({ ...options, log: options.json ? undefined : (line) => console.log(line) });
  if (options.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(`\n${result.ok ? 'PASS' : 'FAIL'}: ${formatDuration(result.durationMs)} at ${result.achievedRate}/${result.requestedRate} ops/s, `
      + `${result.acked} acknowledged, ${result.failed} failed, max ${result.maxBehindMs} ms behind schedule`);
    console.log(`faults: ${JSON.stringify(result.faults)}`);
    result.listeners.forEach((l, i) => console.log(`listener ${i}: ${l.received} events, ${l.missing} missing, ${l.outOfOrder} out of order, ${l.resumes} resumes`));
    if (result.memory) console.log(`rss: ${result.memory.firstMinuteMB} MB after the first minute, at most ${result.memory.lastMinuteMaxMB} MB in the last minute (${result.memory.growthMB >= 0 ? '+' : ''}${result.memory.growthMB} MB)`);
    for (const problem of result.problems) console.log(`problem: ${problem}`);
  }
  process.exitCode = result.ok ? 0 : 1;
}

if (!isMainThread && (workerData as { role?: string } | undefined)?.role === 'soak-server') await serveInWorker((workerData as { settings: ServerSettings }).settings);
else if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
