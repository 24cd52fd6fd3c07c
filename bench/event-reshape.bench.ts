/**
 * What a change stream's reshaping stage costs the embedded server per event, against mingo's Aggregator
 * (the server's path for every reshaping stage before reshape.ts) in the same run, on the listeners'
 * MEASURED_FIELDS `$project` and an update event as the server makes it (a fullDocument: 'updateLookup'
 * one, the listeners' default, and a plain one). Beside it, what that projection saves: the server encodes
 * a smaller event (once per distinct output) and each listener decodes less (bson, as the driver does).
 * The projection pays for one listener when projecting + encoding the small event costs the server no more
 * than encoding the whole one. No I/O; CPU time per event.
 *   node dist/bench/event-reshape.bench.js        (BENCH_QUICK=1 for fewer events)
 */
import { BSON, Timestamp, type Document } from 'bson';
import { Aggregator } from 'mingo';
import { compileEventPipeline } from '../src/embedded/changestream/pipeline.js';
import { MINGO_OPTIONS, linearPipeline } from '../src/embedded/storage/query.js';
import { MEASURED_FIELDS } from '../src/measure/listener-worker.js';
import { median, round } from './lib/harness.js';
import { QUICK, type BenchResult } from './lib/result.js';

function updateEvent(i: number, lookup: boolean): Document {
  const key = `A${10_000 + (i % 20_000)}`;
  return {
    _id: { _data: `8265${(1_700_000_000 + i).toString(16).toUpperCase()}000000012B042C0100296E5A1004${'AB'.repeat(16)}463C6F7065726174696F6E54797065003C75706461746500` },
    operationType: 'update',
    clusterTime: new Timestamp({ t: 1_700_000_000 + Math.floor(i / 1000), i: (i % 1000) + 1 }),
    wallTime: new Date(1_700_000_000_000 + i),
    ...(lookup ? { fullDocument: { _id: key, symbol: key, price: 100 + (i % 50) / 4, volume: i * 10, tick: i, updatedAt: new Date(1_700_000_000_000 + i) } } : {}),
    ns: { db: 'ticker', coll: 'quotes' },
    documentKey: { _id: key },
    updateDescription: { updatedFields: { price: 100 + (i % 50) / 4, tick: i }, removedFields: [], truncatedArrays: [] },
  };
}

/** The server's path before: mingo's Aggregator on each event, then the resume-token check. */
function mingoPipeline(stages: Document[]): (event: Document) => Document | undefined {
  const aggregator = new Aggregator(linearPipeline(stages), MINGO_OPTIONS);
  return (event) => {
    const out = aggregator.run([event])[0] as Document | undefined;
    if (out && out._id !== event._id && JSON.stringify(out._id) !== JSON.stringify(event._id)) throw new Error('_id changed');
    return out;
  };
}

function cpuPerEvent<T>(items: T[], work: (item: T) => unknown): number {
  const t0 = process.cpuUsage();
  let sink = 0;
  for (const item of items) if (work(item) !== undefined) sink++;
  const used = process.cpuUsage(t0);
  if (sink !== items.length) throw new Error('an event was lost');
  return (used.user + used.system) / items.length;
}

const serialize = (doc: Document) => BSON.serialize(doc, { ignoreUndefined: true });

export async function run(): Promise<BenchResult[]> {
  const n = QUICK ? 20_000 : 100_000;
  const rounds = QUICK ? 3 : 7;
  const results: BenchResult[] = [];
  for (const lookup of [true, false]) {
    const events = Array.from({ length: n }, (_, i) => updateEvent(i, lookup));
    const fast = compileEventPipeline(MEASURED_FIELDS);
    const slow = mingoPipeline(MEASURED_FIELDS);
    const projected = events.map((e) => fast(e)!);
    const wholeBytes = events.map(serialize);
    const projectedBytes = projected.map(serialize);
    const measure = {
      fast: () => cpuPerEvent(events, fast),
      mingo: () => cpuPerEvent(events, slow),
      encodeWhole: () => cpuPerEvent(events, serialize),
      encodeProjected: () => cpuPerEvent(projected, serialize),
      decodeWhole: () => cpuPerEvent(wholeBytes, (bytes) => BSON.deserialize(bytes)),
      decodeProjected: () => cpuPerEvent(projectedBytes, (bytes) => BSON.deserialize(bytes)),
    };
    const runs: Record<keyof typeof measure, number[]> = { fast: [], mingo: [], encodeWhole: [], encodeProjected: [], decodeWhole: [], decodeProjected: [] };
    for (const m of Object.values(measure)) m(); // JIT warm-up
    for (let r = 0; r < rounds; r++) for (const [name, m] of Object.entries(measure)) runs[name as keyof typeof measure].push(m());
    const med = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, median(v)])) as Record<keyof typeof measure, number>;
    const kind = lookup ? "update event with fullDocument: 'updateLookup'" : 'update event';
    results.push({
      name: `MEASURED_FIELDS $project per ${kind}, server CPU`,
      value: round(med.fast, 3), unit: 'µs',
      baseline: { name: "mingo's Aggregator (before)", value: round(med.mingo, 3) },
      ratio: round(med.fast / med.mingo),
      notes: `${n.toLocaleString('en-US')} events, median of ${rounds} alternating rounds; fast ${runs.fast.map((x) => round(x, 3)).join(', ')} µs, mingo ${runs.mingo.map((x) => round(x, 3)).join(', ')} µs`,
    });
    // one listener: the server projects and encodes the small event instead of encoding the whole one
    const projecting = med.fast + med.encodeProjected;
    results.push({
      name: `one projected stream per ${kind}: server CPU to project and encode it`,
      value: round(projecting, 3), unit: 'µs',
      baseline: { name: 'unprojected: encode the whole event', value: round(med.encodeWhole, 3) },
      ratio: round(projecting / med.encodeWhole),
      target: 'ratio <= 1 (the projection pays for itself on the server, before the listener decodes less)',
      pass: projecting <= med.encodeWhole,
      notes: `medians µs: project ${round(med.fast, 3)}, encode projected ${round(med.encodeProjected, 3)} vs whole ${round(med.encodeWhole, 3)} ` +
        `(${projectedBytes[0].length} vs ${wholeBytes[0].length} bytes); listener decode projected ${round(med.decodeProjected, 3)} vs whole ${round(med.decodeWhole, 3)}; ` +
        `with mingo the projection cost ${round(med.mingo + med.encodeProjected, 3)}`,
    });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await run();
  process.stdout.write(JSON.stringify(results, null, 2) + '\n');
}
