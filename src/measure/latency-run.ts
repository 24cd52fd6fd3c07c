/**
 * `ticker bench latency` as a function: drive a known write load (writer threads, open loop) while N
 * listeners (listener threads, each listener its own change stream) record every event, then add their
 * histograms and counts into one LatencyReport. Measuring code: never prints; progress goes to a callback.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { MongoClient } from 'mongodb';
import { Piscina } from 'piscina';
import { collectionState } from '../connect/collection.js';
import { openClient } from '../connect/client.js';
import { describeTarget, requireChangeStreams, type Target } from '../connect/topology.js';
import { redactUri } from '../connect/uri.js';
import { runLoad } from '../load/loader.js';
import { detectLayout } from '../mutate/key-space.js';
import { createMix, parseMix, OP_KINDS } from '../mutate/mix.js';
import { epochNow } from '../mutate/timer.js';
import { toTimelineBucket } from '../report/from-histograms.js';
import {
  HISTOGRAM_DESCRIPTIONS, HISTOGRAM_NAMES, REPORT_FORMAT, REPORT_VERSION, isAuditClean,
  type Audit, type LatencyReport, type ReportHistogram, type Stagger, type TimelineBucket,
} from '../report/model.js';
import { asUserError, UserError } from '../util/errors.js';
import { addCounts, WriteLedger, type AuditCounts, type LedgerData, type ReceiptsData } from './audit.js';
import { coldShardRanges, inRanges, readChunkMap, shardOf, type ChunkMap } from '../connect/chunk-map.js';
import { startEmbeddedProcess, type EmbeddedProcess } from './embedded-process.js';
import { addEncoded, decodeHistogram, summarizeEncoded } from './histograms.js';
import { addWriterTimeline, mergeIntervals, type IntervalLog } from './intervals.js';
import type { ListenerTask, ListenerTaskResult } from './listener-worker.js';
import { EVENT_HISTOGRAMS, WRITE_FIELDS, type ClockBounds, type StaggerRecord, type WriteBatch } from './recorder.js';
import { attributeShard, DEFAULT_STAGGER_THRESHOLD_MS } from './staggers.js';
import type { WriterResult, WriterTask } from './writer-worker.js';
import { earliestOplogSeconds } from '../metrics/oplog-window.js';
import type { LiveMetrics } from '../metrics/live-metrics.js';

export interface LatencyRunOptions {
  /** Connection string; without it the embedded server is started in a process of its own. */
  uri?: string;
  db: string;
  coll: string;
  /** writes per second, all writers together */
  rate: number;
  durationMs: number;
  warmupMs: number;
  listeners: number;
  writers: number;
  fullDocument: boolean;
  /** events per change-stream getMore (default: the server's) */
  batchSize?: number;
  /** `--mix` text; default the original four kinds */
  mix?: string;
  staggerThresholdMs?: number;
  /** keep every write off this shard's chunks (a sharded cluster's idle shard) */
  coldShard?: string;
  /**
   * Run the writer and the listeners in one thread. Default: when there is one of each and fewer than 3
   * cores, where a third busy thread beside the server's would queue behind the others and add latency.
   */
  shareThread?: boolean;
  /** listeners per listener thread (default 25) */
  listenersPerThread?: number;
  /** how long listeners may take to receive the last writes after the writers stopped */
  drainMs?: number;
  /** Ctrl-C: ends the measurement early; the report is still made */
  signal?: AbortSignal;
  onProgress?: (progress: LatencyProgress) => void;
  /** fed while the run goes (events, writes, lag, latency, stagger, oplog window); exact at the end */
  metrics?: LiveMetrics;
  /** the resolved target, once known (tests inject faults through it) */
  onTarget?: (info: { uri: string; windowStart?: number }) => void;
  /** called once the measured window has begun */
  onMeasuring?: (info: { uri: string; windowStart: number }) => void;
  /** this run is one agent of a distributed run (src/distributed/) */
  agent?: AgentHooks;
}

/** What a distributed run's agent changes in a run: its writer ids, the agreed start, every agent's fence. */
export interface AgentHooks {
  /** this agent's writers are [firstWriterId, firstWriterId + writers) of totalWriters (all agents) */
  firstWriterId: number;
  totalWriters: number;
  /** the fence this agent writes after its last write, and those of every agent */
  fenceId: string;
  fenceIds: string[];
  /** called once every stream is open and every writer connected; resolves with the start (epoch ms here) */
  agreeOnStart(): Promise<number>;
  /** the fences still to wait for once this agent's writers are done (missing agents' left out) */
  liveFences(): string[];
}

/** An agent's audit sets: its writers' ledger and each listener's receipts, for the cross-agent audit. */
export interface AgentAuditSets {
  ledger: LedgerData;
  receipts: { listener: string; data: ReceiptsData }[];
  /** (server − this machine) bounds from the events' wallTime */
  clock: ClockBounds;
  /** events of other agents' writes received (audited, not timed) */
  othersEvents: number;
}

export type LatencyPhase = 'starting' | 'warmup' | 'measuring' | 'draining';

export interface LatencyProgress {
  phase: LatencyPhase;
  /** ms into the current phase plan (warm-up + measurement) */
  elapsedMs: number;
  totalMs: number;
  writes: number;
  events: number;
  behindMs: number;
}

export interface LatencyRunResult {
  report: LatencyReport;
  /** problems met by listeners or writers (the report is still complete up to them) */
  errors: string[];
  interrupted: boolean;
  /** every histogram per second of the window: the .hlog */
  intervals: IntervalLog;
  /** set for an agent of a distributed run */
  auditSets?: AgentAuditSets;
}

const PROGRESS_MS = 250;
/** An event that waited this long inside a listener thread means that listener fell behind its stream. */
const BEHIND_MS = 10;
const LISTENER_YOUNG_GENERATION_MB = 64;
const DEFAULT_LISTENERS_PER_THREAD = 25;
/**
 * Listeners watch only the fields they measure (listener-worker's MEASURED_FIELDS): the server projects
 * each event once for all identical streams and each listener decodes half as much. With the embedded
 * server's compiled $project (0.3 µs an event, and projecting + encoding the small event costs it 0.5-0.6x
 * of encoding the whole one: bench/event-reshape.bench.ts). For one listener it gained nothing measurable:
 * on a quiet machine (load < 2) bench/latency at 2,000 ops/s gave p50 1.09-1.12x the bare loop's projected
 * (three runs) and 1.04-1.11x whole (four runs), p99 0.84-2.2x either way (then the server's own GC pauses
 * decided the p99); so the projection starts where identical streams share it.
 */
const PROJECT_FROM_LISTENERS = 10;
const STAGGERS_KEPT = 10;

export async function runLatency(options: LatencyRunOptions): Promise<LatencyRunResult> {
  validate(options);
  let embedded: EmbeddedProcess | undefined;
  try {
    embedded = options.uri === undefined ? await startEmbeddedProcess() : undefined;
    const uri = options.uri ?? embedded!.uri;
    options.onTarget?.({ uri });
    const client = await openClient(uri, { appName: 'ticker-bench' });
    try {
      return await measure(options, uri, client, embedded !== undefined);
    } finally {
      await client.close().catch(() => undefined);
    }
  } finally {
    await embedded?.stop();
  }
}

async function measure(options: LatencyRunOptions, uri: string, client: MongoClient, forked: boolean): Promise<LatencyRunResult> {
  const { db, coll } = options;
  const target = await describeTarget(client);
  requireChangeStreams(target);
  const notes: string[] = [];
  const loaded = await ensureDataset(client, uri, db, coll, target, options.signal);
  if (loaded) notes.push(`the data set was loaded before the run (${loaded} documents)`);
  const chunkMap = target.topology === 'sharded' ? await readChunkMap(client, db, coll) : undefined;
  const avoid = options.coldShard === undefined ? undefined : await coldShardRanges(client, db, coll, options.coldShard);
  // Read once here for every writer thread (and the cold-shard check below).
  const layout = await detectLayout(client.db(db).collection<{ _id: string }>(coll));
  if (avoid) {
    // A mix the cold shard makes impossible is refused here, in one line, not as an empty run.
    asUserError(() => createMix({ spec: options.mix === undefined ? undefined : parseMix(options.mix), layout, avoid: (symbol) => inRanges(avoid, symbol) }));
    notes.push(`writes kept off shard ${options.coldShard}`);
  }
  if (forked) notes.push('embedded server, started by the harness in a process of its own');
  const staggerThresholdMs = options.staggerThresholdMs ?? DEFAULT_STAGGER_THRESHOLD_MS;
  const agent = options.agent;
  const fenceId = agent?.fenceId ?? `__ticker_fence_${randomUUID()}`;
  const firstWriterId = agent?.firstWriterId ?? 0;
  // An agent keeps what its writers reported, for the audit of other agents' listeners.
  const ledger = agent ? new WriteLedger() : undefined;
  const perThread = options.listenersPerThread ?? DEFAULT_LISTENERS_PER_THREAD;
  const listenerGroups = groupListeners(options.listeners, perThread);
  const listenerFile = new URL('./listener-worker.js', import.meta.url).href;
  const writerFile = new URL('./writer-worker.js', import.meta.url).href;
  const shareThread = options.shareThread ?? (options.writers === 1 && listenerGroups.length === 1 && availableParallelism() < 3);
  if (shareThread) notes.push('the writer and the listeners share one thread (fewer than 3 cores: the server needs one)');
  const listenerPool = new Piscina({
    filename: listenerFile,
    minThreads: listenerGroups.length, maxThreads: listenerGroups.length, atomics: 'disabled', idleTimeout: 1_000,
    // Every event is a few short-lived objects: a larger young generation collects them less often.
    resourceLimits: { maxYoungGenerationSizeMb: LISTENER_YOUNG_GENERATION_MB },
    // Both tasks are asynchronous: in one thread they interleave on its event loop.
    ...(shareThread ? { concurrentTasksPerWorker: 2 } : {}),
  });
  const writerPool = shareThread ? listenerPool : new Piscina({
    filename: writerFile,
    minThreads: options.writers, maxThreads: options.writers, atomics: 'disabled', idleTimeout: 1_000,
  });
  const pools = shareThread ? [listenerPool] : [listenerPool, writerPool];
  const errors: string[] = [];
  const ports: MessagePort[] = [];

  try {
    // Listeners first: every stream is open before the first write.
    const listenerPorts: MessagePort[] = [];
    const listenerEvents = listenerGroups.map(() => 0);
    const listenerLastReceipt = listenerGroups.map(() => 0);
    const listenerToken: (number | undefined)[] = listenerGroups.map(() => undefined);
    const { metrics } = options;
    // A channel from each writer to each listener thread: its reports go straight there.
    const channels = Array.from({ length: options.writers }, () => listenerGroups.map(() => new MessageChannel()));
    const writerRate = options.rate / options.writers;
    // each writer's sequence numbers in the run, plus a margin: the audit's arrays are sized for them
    const expectedSeqs = Math.ceil((writerRate * (options.warmupMs + options.durationMs)) / 1000 * 1.05) + 64;
    const listenerResults = listenerGroups.map((names, g) => {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1);
      listenerPorts.push(port1);
      const ready = once(port1, 'ready');
      port1.on('message', (m: { type: string; events?: number; lastReceiptAt?: number; tokenSeconds?: number; encoded?: string }) => {
        if (m.type === 'progress') {
          listenerEvents[g] = m.events ?? 0;
          listenerLastReceipt[g] = m.lastReceiptAt ?? 0;
          if (m.tokenSeconds !== undefined) listenerToken[g] = m.tokenSeconds;
        } else if (m.type === 'latency' && m.encoded) metrics?.addLatency([m.encoded]);
      });
      const task: ListenerTask = {
        uri, db, coll, listeners: names, fullDocument: options.fullDocument, staggerThresholdMs, fenceId, port: port2,
        writerPorts: channels.map((perGroup) => perGroup[g]!.port2), expectedSeqs,
        measuredFieldsOnly: options.listeners >= PROJECT_FROM_LISTENERS,
        ...(metrics ? { liveLatency: true } : {}),
        ...(agent ? {
          fenceIds: agent.fenceIds, keepReceipts: true,
          ownWriters: { from: firstWriterId, to: firstWriterId + options.writers },
        } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      };
      const result = listenerPool.run(task, { transferList: [port2, ...task.writerPorts] }) as Promise<ListenerTaskResult>;
      result.catch(() => undefined); // awaited below; this only keeps an early failure from going unhandled
      return { ready, result };
    });
    await Promise.all(listenerResults.map((l) => Promise.race([l.ready, l.result.then(() => failedEarly('listener'))])));

    const writerProgress = Array.from({ length: options.writers }, () => ({ issued: 0, behindMs: 0, writes: 0, writeErrors: 0, lastAckAt: 0 }));
    const writers = Array.from({ length: options.writers }, (_, w) => {
      const { port1, port2 } = new MessageChannel();
      ports.push(port1);
      const ready = once(port1, 'ready');
      const done = new Promise<WriterResult>((resolve) => {
        type WriterMessage = { type: string; batch?: WriteBatch; result?: WriterResult } & Partial<(typeof writerProgress)[number]>;
        port1.on('message', (m: WriterMessage) => {
          if (m.type === 'writes') keepWrites(ledger!, m.batch!); // only an agent's writers send them here
          else if (m.type === 'progress') {
            writerProgress[w] = { issued: m.issued ?? 0, behindMs: m.behindMs ?? 0, writes: m.writes ?? 0, writeErrors: m.writeErrors ?? 0, lastAckAt: m.lastAckAt ?? 0 };
          }
          else if (m.type === 'done') resolve(m.result!);
        });
      });
      // Writer g of G starts g/G of an interval late: together they send as one writer at the whole rate
      // would (in step, every writer's send would land on the server at once, and queue there).
      const totalWriters = agent?.totalWriters ?? options.writers;
      const phaseMs = ((firstWriterId + w) / totalWriters) * (1000 / writerRate);
      const task: WriterTask = {
        uri, db, coll, writerId: firstWriterId + w, writers: totalWriters, rate: writerRate, phaseMs, mix: options.mix, avoid, layout, port: port2,
        listenerPorts: channels[w]!.map((c) => c.port1), ...(ledger ? { batchesToMain: true } : {}),
      };
      const finished = writerPool.run(task, { filename: writerFile, transferList: [port2, ...task.listenerPorts] }) as Promise<void>;
      finished.catch(() => undefined);
      return { port: port1, ready, done, finished };
    });
    await Promise.all(writers.map((w) => Promise.race([w.ready, w.finished.then(() => failedEarly('writer'))])));

    // The plan: warm-up, then the measured window, on one clock for every thread.
    const totalMs = options.warmupMs + options.durationMs;
    const startAt = agent ? await agent.agreeOnStart() : epochNow() + 50;
    const windowStart = startAt + options.warmupMs;
    for (const p of listenerPorts) p.postMessage({ type: 'go', windowStart, windowEnd: windowStart + options.durationMs });
    for (const w of writers) w.port.postMessage({ type: 'go', startAt, windowStart, durationMs: totalMs });

    metrics?.setOplogWindowSource(async () => {
      const known = listenerToken.filter((t) => t !== undefined);
      const earliest = known.length === 0 ? undefined : await earliestOplogSeconds(client);
      return earliest === undefined ? undefined : Math.max(0, Math.min(...known) - earliest);
    });
    const feedMetrics = (now: number): void => {
      if (!metrics) return;
      const writes = writerProgress.reduce((a, p) => a + p.writes, 0);
      const writeErrors = writerProgress.reduce((a, p) => a + p.writeErrors, 0);
      metrics.setEvents(listenerEvents.reduce((a, b) => a + b, 0));
      metrics.setWrites({ sent: writes, acknowledged: writes - writeErrors, failed: writeErrors });
      metrics.setSendLag(Math.max(0, ...writerProgress.map((p) => p.behindMs)));
      // committed writes wait for release when something was acknowledged after a listener's last event
      const lastAck = Math.max(...writerProgress.map((p) => p.lastAckAt));
      const oldestReceipt = Math.max(startAt, Math.min(...listenerLastReceipt));
      metrics.setStagger(lastAck > oldestReceipt ? (now - oldestReceipt) / 1000 : 0);
    };

    let phase: LatencyPhase = 'warmup';
    let measuringSignalled = false;
    const progress = (): void => {
      const now = epochNow();
      if (phase !== 'draining') phase = now < windowStart ? 'warmup' : 'measuring';
      if (phase === 'measuring' && !measuringSignalled) {
        measuringSignalled = true;
        options.onMeasuring?.({ uri, windowStart });
      }
      feedMetrics(now);
      options.onProgress?.({
        phase,
        elapsedMs: Math.min(totalMs, Math.max(0, now - startAt)),
        totalMs,
        writes: writerProgress.reduce((a, p) => a + p.issued, 0),
        events: listenerEvents.reduce((a, b) => a + b, 0),
        behindMs: Math.max(0, ...writerProgress.map((p) => p.behindMs)),
      });
    };
    const ticker = setInterval(progress, PROGRESS_MS);
    const stop = (): void => {
      for (const w of writers) w.port.postMessage({ type: 'stop' });
    };
    options.signal?.addEventListener('abort', stop, { once: true });
    if (options.signal?.aborted) stop();

    let writerResults: WriterResult[];
    try {
      writerResults = await Promise.all(writers.map((w) => w.done));
    } finally {
      options.signal?.removeEventListener('abort', stop);
    }
    const endedAt = Math.max(windowStart, epochNow());
    phase = 'draining';
    progress();
    for (const r of writerResults) if (r.error) errors.push(`writer ${r.writerId}: ${r.error}`);

    // The fence: a write after every other one. A listener that receives it has received everything.
    const collection = client.db(db).collection<{ _id: string }>(coll);
    await collection.insertOne({ _id: fenceId }).catch((e: Error) => errors.push(`fence: ${e.message}`));
    const drainMs = options.drainMs ?? (target.topology === 'sharded' ? 15_000 : 5_000);
    const fences = agent?.liveFences();
    for (const p of listenerPorts) p.postMessage({ type: 'finish', drainMs, ...(fences ? { fences } : {}) });
    const groups = await Promise.all(listenerResults.map((l) => l.result));
    clearInterval(ticker);
    await Promise.all(writers.map((w) => w.finished));
    await collection.deleteOne({ _id: fenceId }).catch(() => undefined);
    for (const g of groups) errors.push(...g.errors.map((e) => `listener: ${e}`));

    const report = buildReport({
      options, uri, target, notes, chunkMap, groups, writerResults, windowStart, endedAt, staggerThresholdMs,
      errors,
    });
    const intervals = mergeIntervals(
      windowStart,
      [...HISTOGRAM_NAMES, 'staggers', 'sendLag'],
      [...groups.map((g) => g.intervals), ...writerResults.map((w) => w.intervals)],
      Math.ceil((endedAt - windowStart) / 1000) - 1,
    );
    addWriterTimeline(report.timeline, intervals);
    if (metrics) {
      // the last scrape says what the report says
      const e2e = report.histograms.endToEnd!;
      metrics.setEvents(e2e.summary.count);
      metrics.replaceLatency(e2e.encoded);
      metrics.setWrites({ sent: report.rate.writes, acknowledged: report.rate.writes - report.rate.writeErrors, failed: report.rate.writeErrors });
      metrics.setStagger(0);
    }
    const auditSets = ledger ? agentAuditSets(ledger, groups) : undefined;
    return { report, errors, interrupted: options.signal?.aborted === true, intervals, ...(auditSets ? { auditSets } : {}) };
  } finally {
    for (const p of ports) p.close();
    if (options.signal?.aborted) {
      await Promise.all(pools.map((p) => p.destroy()));
    } else {
      await Promise.all(pools.map((p) => p.close()));
    }
  }
}

interface BuildInput {
  options: LatencyRunOptions;
  uri: string;
  target: Target;
  notes: string[];
  chunkMap: ChunkMap | undefined;
  groups: ListenerTaskResult[];
  writerResults: WriterResult[];
  windowStart: number;
  endedAt: number;
  staggerThresholdMs: number;
  errors: string[];
}

function buildReport(input: BuildInput): LatencyReport {
  const { options, groups, writerResults, chunkMap } = input;
  const encoded: Record<string, string> = {};
  for (const name of EVENT_HISTOGRAMS) encoded[name] = addEncoded(groups.map((g) => g.histograms[name]));
  encoded.writeAck = addEncoded(writerResults.map((w) => w.writeAck).filter((e) => e !== ''));
  const histograms: Record<string, ReportHistogram> = {};
  for (const name of HISTOGRAM_NAMES) {
    histograms[name] = { unit: 'us', description: HISTOGRAM_DESCRIPTIONS[name], encoded: encoded[name]!, summary: summarizeEncoded(encoded[name]!) };
  }

  const perListener = groups.flatMap((g) => g.listeners);
  const backlogs = new Map(groups.flatMap((g) => g.backlog ?? []).map((b) => [b.listener, b]));
  const behind = describeBehind(groups, perListener.length);
  if (behind) input.notes.push(behind);
  const audit: Audit = {
    ...perListener.reduce<AuditCounts>((sum, l) => addCounts(sum, l.audit), { expected: 0, received: 0, lost: 0, duplicated: 0 }),
    perListener: perListener.map((l) => ({ listener: l.listener, ...l.audit })),
  };

  const gaps = addEncoded(groups.map((g) => g.staggers.gaps));
  const worst: Stagger[] = groups
    .flatMap((g) => g.staggers.worst)
    .sort((a, b) => b.gapMs - a.gapMs)
    .slice(0, STAGGERS_KEPT)
    .map((s: StaggerRecord) => {
      const stagger: Stagger = { startMs: round3(s.startMs), gapMs: round3(s.gapMs), burst: s.burst, listener: s.listener };
      const shard = chunkMap ? attributeShard(s.ids, (id) => shardOf(chunkMap, id), chunkMap.shards) : undefined;
      if (shard !== undefined) stagger.shard = shard;
      return stagger;
    });

  const spec = parseMix(options.mix ?? 'original');
  const mix = Object.fromEntries(OP_KINDS.filter((k) => spec[k] > 0).map((k) => [k, spec[k]]));
  const ok = isAuditClean(audit) && input.errors.length === 0;
  const target = input.target;
  return {
    format: REPORT_FORMAT,
    version: REPORT_VERSION,
    config: {
      rate: options.rate,
      durationMs: options.durationMs,
      warmupMs: options.warmupMs,
      listeners: options.listeners,
      writers: options.writers,
      fullDocument: options.fullDocument ? 'updateLookup' : 'default',
      mix,
      ...(options.coldShard !== undefined ? { coldShard: true } : {}),
    },
    target: {
      uri: redactUri(input.uri),
      embedded: target.isEmbedded,
      serverVersion: target.serverVersion,
      topology: target.topology === 'sharded' ? 'sharded' : 'replicaSet',
      ...(target.shards !== undefined ? { shards: target.shards } : {}),
      ...(input.notes.length > 0 ? { notes: input.notes } : {}),
    },
    startedAt: new Date(input.windowStart).toISOString(),
    endedAt: new Date(input.endedAt).toISOString(),
    durationMs: Math.round(input.endedAt - input.windowStart),
    rate: {
      requested: options.rate,
      achieved: round3(writerResults.reduce((a, w) => a + w.achievedRate, 0)),
      maxBehindMs: round3(Math.max(0, ...writerResults.map((w) => w.maxBehindMs))),
      writes: writerResults.reduce((a, w) => a + w.writes, 0),
      writeErrors: writerResults.reduce((a, w) => a + w.writeErrors, 0),
    },
    histograms,
    staggers: {
      thresholdMs: input.staggerThresholdMs,
      count: groups.reduce((a, g) => a + g.staggers.count, 0),
      histogram: { unit: 'us', encoded: gaps, summary: summarizeEncoded(gaps) },
      worst,
    },
    timeline: mergeTimelines(groups, input.endedAt - input.windowStart),
    audit,
    ok,
    perListener: perListener.map((l) => {
      const b = backlogs.get(l.listener);
      return { listener: l.listener, events: l.events, p99us: l.p99us, maxUs: l.maxUs, ...(b ? { backlog: b.maxBuffered, queuedMs: round3(b.maxQueuedMs) } : {}) };
    }),
  };
}

/**
 * A note when listeners fell behind their streams: events that waited in a listener thread after their
 * reply arrived measure the harness, not the server, and the report says so.
 */
function describeBehind(groups: ListenerTaskResult[], listeners: number): string | undefined {
  const all = groups.flatMap((g) => g.backlog ?? []);
  const behind = all.filter((b) => b.maxQueuedMs >= BEHIND_MS);
  if (behind.length === 0) return undefined;
  const queued = Math.max(...behind.map((b) => b.maxQueuedMs));
  const buffered = Math.max(...behind.map((b) => b.maxBuffered));
  const loop = Math.max(...groups.map((g) => g.loopDelayMs?.p99 ?? 0));
  return `${behind.length} of ${listeners} listeners fell behind their streams: events waited up to ${Math.round(queued)} ms in a listener thread ` +
    `after their reply arrived (up to ${buffered} received but unread in one listener; listener-thread event-loop delay p99 up to ${Math.round(loop)} ms); ` +
    'that part of the latency is the harness\'s, not the server\'s: use fewer listeners per thread, more cores, or a second machine';
}

/** Adds the listener threads' per-second histograms; seconds without events stay in the plot as zeros. */
function mergeTimelines(groups: ListenerTaskResult[], windowMs: number): TimelineBucket[] {
  const bySecond = new Map<number, string[]>();
  for (const g of groups) {
    for (const b of g.timeline) {
      const list = bySecond.get(b.second) ?? [];
      list.push(b.encoded);
      bySecond.set(b.second, list);
    }
  }
  const last = Math.max(Math.ceil(windowMs / 1000) - 1, ...bySecond.keys());
  const buckets: TimelineBucket[] = [];
  for (let second = 0; second <= last; second++) {
    const h = decodeHistogram(addEncoded(bySecond.get(second) ?? []));
    buckets.push(toTimelineBucket(second, h));
    h.destroy();
  }
  return buckets;
}

function keepWrites(ledger: WriteLedger, batch: WriteBatch): void {
  const { writes } = batch;
  for (let k = 0; k + WRITE_FIELDS <= writes.length; k += WRITE_FIELDS) {
    ledger.addWrite(writes[k]!, writes[k + 1]!, writes[k + 2]!, writes[k + 3]!);
  }
  for (const d of batch.deletes) ledger.addDelete(d.id, d.inWindow);
}

function agentAuditSets(ledger: WriteLedger, groups: ListenerTaskResult[]): AgentAuditSets {
  const clock: ClockBounds = { lowMs: -Infinity, highMs: Infinity, samples: 0 };
  for (const g of groups) {
    clock.lowMs = Math.max(clock.lowMs, g.clock.lowMs);
    clock.highMs = Math.min(clock.highMs, g.clock.highMs);
    clock.samples += g.clock.samples;
  }
  return {
    ledger: ledger.toData(),
    receipts: groups.flatMap((g) => g.listeners.map((l) => ({ listener: l.listener, data: l.receipts! }))),
    clock,
    othersEvents: groups.reduce((a, g) => a + g.othersEvents, 0),
  };
}

/** Loads the data set when the collection is missing or empty; returns the documents written, or 0. */
export async function ensureDataset(client: MongoClient, uri: string, db: string, coll: string, target: Target, signal?: AbortSignal): Promise<number> {
  const state = await collectionState(client, db, coll);
  if (typeof state === 'number') return 0;
  const summary = await runLoad({ uri, client, db, coll, target, signal });
  return summary.documents;
}

/**
 * Listener names "0".."N-1" in groups of at most `perThread`, spread evenly over the threads: one thread
 * per `perThread` listeners, as many threads as cores at most (two on a smaller machine), so the thread
 * count follows the cores and a thread holds more listeners only when every core already has one.
 */
export function groupListeners(listeners: number, perThread: number, cores = availableParallelism()): string[][] {
  const threads = Math.max(1, Math.min(Math.ceil(listeners / perThread), Math.max(2, cores)));
  const groups: string[][] = Array.from({ length: threads }, () => []);
  for (let i = 0; i < listeners; i++) groups[i % threads]!.push(String(i));
  return groups;
}

function validate(o: LatencyRunOptions): void {
  if (!(o.rate > 0)) throw new UserError('--rate must be above zero');
  if (!(o.durationMs > 0)) throw new UserError('--duration must be above zero');
  if (!(o.listeners >= 1 && Number.isInteger(o.listeners))) throw new UserError('--listeners must be a whole number above zero');
  if (!(o.writers >= 1 && Number.isInteger(o.writers))) throw new UserError('--writers must be a whole number above zero');
  if (o.mix !== undefined) {
    try {
      parseMix(o.mix);
    } catch (error) {
      throw new UserError(`--mix: ${(error as Error).message}`);
    }
  }
}

function once(port: MessagePort, type: string): Promise<void> {
  return new Promise((resolve) => {
    const on = (m: { type?: string }): void => {
      if (m?.type === type) {
        port.off('message', on);
        resolve();
      }
    };
    port.on('message', on);
  });
}

function failedEarly(what: string): never {
  throw new Error(`a ${what} thread ended before it was ready`);
}

function round3(n: number): number {
  return Math.round(n * 1000) / 1000;
}
