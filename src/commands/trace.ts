import { Flags } from '@oclif/core';
import { resolveUri } from '../connect/uri.js';
import { COLLECTION, DATABASE } from '../load/dataset.js';
import { applyEvent, createDisplayState, streamStats } from '../render/display.js';
import { IdleNudge, idleHintOf } from '../render/idle-nudge.js';
import { formatNoteLine, formatTraceJson, formatTraceLine } from '../render/trace.js';
import { TraceStatusLine } from '../render/trace-status.js';
import { colourEnabled } from '../util/colour.js';
import { TickerCommand, connectionFlags } from '../util/command-base.js';
import { BOUNDS, describeBound } from '../util/bounds.js';
import { durationFlag, positiveIntFlag, staggerThresholdFlag } from '../util/flags.js';
import { sameTargetHint } from '../util/invocation.js';
import { NUDGE_AFTER_MS } from '../render/status-line.js';
import { feedFromWatcher } from '../metrics/feeds.js';
import { metricsFlags, startCommandMetrics } from '../metrics/flags.js';
import { openWatchTarget } from '../watch/open.js';
import { resolveSymbols } from '../watch/symbols.js';
import { createWatcher, type WatchEvent } from '../watch/watcher.js';

export interface TraceResult {
  changes: number;
  resyncs: number;
  staggers: number;
}

export default class Trace extends TickerCommand {
  static override summary = 'Print one line per price change of the followed symbols.';

  static override description =
    'Each line: symbol, old → new price, change, local time to 0.1 ms, after an initial sync that misses nothing; NDJSON with --json. ' +
    'On a terminal a status line shows events/s, lag, the time since the last event, and flags a stagger while one happens: ' +
    'the server holding the stream\'s events back (its cluster time moves on, the post-batch resume token stays behind) for longer than ' +
    '--stagger-threshold, the same rule as bench latency\'s. Each stagger gets a line on stderr (an NDJSON record with --json) once it ends.';

  static override examples = [
    { description: 'Follow the 13 familiar symbols until Ctrl-C', command: '<%= config.bin %> trace' },
    { description: 'Follow three symbols', command: '<%= config.bin %> trace --symbols MDB,ORCL,AAPL' },
    { description: 'Every change event as NDJSON, piped to jq', command: '<%= config.bin %> trace --all --json | jq .symbol' },
    { description: 'Stop after a minute or 100 changes, whichever comes first', command: '<%= config.bin %> trace --duration 1m --limit 100' },
    { description: 'On a mongos: flag only hold-backs over a second', command: '<%= config.bin %> trace --stagger-threshold 1s --uri mongodb://mongos:27017' },
  ];

  static override flags = {
    ...connectionFlags,
    symbols: Flags.string({ helpValue: '<list>', description: 'comma-separated symbols to follow (default: the 13 familiar symbols)' }),
    all: Flags.boolean({ description: 'every change event of the collection (inserts, deletes, any symbol)', default: false }),
    json: Flags.boolean({ description: 'one JSON object per line (NDJSON): the snapshot, then each change', default: false }),
    duration: durationFlag({ description: 'stop after this long (e.g. 30s)' }),
    limit: positiveIntFlag({ description: `stop after this many changes; ${describeBound(BOUNDS.limit)}`, bound: BOUNDS.limit }),
    'stagger-threshold': staggerThresholdFlag(),
    'nudge-after': durationFlag({ description: 'say how to start a writer after this long without a change', default: NUDGE_AFTER_MS, hidden: true }),
    ...metricsFlags,
  };

  async run(): Promise<TraceResult> {
    const { flags } = await this.parse(Trace);
    const symbols = resolveSymbols(flags.symbols);
    const uri = resolveUri(flags.uri);
    const { client } = await this.interruptible(openWatchTarget(uri, flags.db, flags.collection, symbols), 'connecting', (t) => t.client.close());
    const colour = colourEnabled(process.stdout);
    const staggerThresholdMs = flags['stagger-threshold'];
    const watcher = createWatcher({ client, db: flags.db, coll: flags.collection, symbols, all: flags.all, staggerThresholdMs });
    const result: TraceResult = { changes: 0, resyncs: 0, staggers: 0 };
    const nudge = { namespace: `${flags.db}.${flags.collection}`, mutateHint: sameTargetHint('mutate', flags, { db: DATABASE, collection: COLLECTION }) };
    const metrics = await startCommandMetrics(flags).catch(async (error: unknown) => {
      await client.close();
      throw error;
    });
    if (metrics) process.stderr.write(`metrics: ${metrics.server.url}\n`);
    const stopFeed = metrics ? feedFromWatcher(metrics.metrics, watcher, client) : undefined;

    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    // On a terminal a status line (events/s, lag, time since the last event, staggers) stays under the output.
    const status = !flags.json && process.stderr.isTTY
      ? new TraceStatusLine(process.stderr, colourEnabled(process.stderr), { staggerThresholdMs, idleHint: idleHintOf(nudge), nudgeAfterMs: flags['nudge-after'], heldBackMs: () => watcher.heldBackMs() })
      : undefined;
    // Without a status line the nudge is a line on stderr (NDJSON stays on stdout).
    const nudgeState = status ? undefined : createDisplayState([], {}, '', { staggerThresholdMs, nudgeAfterMs: flags['nudge-after'] });
    const idle = status ? undefined : new IdleNudge(nudge, (line) => void process.stderr.write(`${line}\n`));
    const write = (line: string): void => {
      status?.clear();
      process.stdout.write(`${line}\n`);
      status?.draw();
    };
    watcher.subscribe((event: WatchEvent) => {
      status?.onEvent(event);
      if (nudgeState) applyEvent(nudgeState, event);
      if (event.kind === 'change') result.changes++;
      if (event.kind === 'resync') result.resyncs++;
      if (event.kind === 'stagger') result.staggers++;
      if (flags.json) write(formatTraceJson(event));
      else if (event.kind === 'change') write(formatTraceLine(event, { colour }));
      else {
        status?.clear();
        process.stderr.write(`${formatNoteLine(event, symbols)}\n`);
        status?.draw();
      }
      if (flags.limit !== undefined && result.changes >= flags.limit) finish();
    });

    const stop = this.stopSignal;
    stop.addEventListener('abort', finish, { once: true });
    const timer = flags.duration === undefined ? undefined : setTimeout(finish, flags.duration);
    let nudgeTimer: NodeJS.Timeout | undefined;
    try {
      // A stop during the initial sync is a stop like any other: the summary says 0 changes.
      const starting = watcher.start().then(() => true);
      starting.catch(() => undefined); // lost the race to a stop: the stream is closed below
      const started = await Promise.race([starting, finished.then(() => false)]);
      if (started) {
        status?.start();
        if (nudgeState && idle) {
          nudgeState.startedAt = Date.now();
          nudgeTimer = setInterval(() => {
            const now = Date.now();
            nudgeState.heldBackMs = watcher.heldBackMs();
            idle.check(streamStats(nudgeState, now));
          }, 1_000);
        }
        await Promise.race([finished, watcher.done]);
      }
    } finally {
      if (nudgeTimer) clearInterval(nudgeTimer);
      status?.stop();
      if (timer) clearTimeout(timer);
      stop.removeEventListener('abort', finish);
      await watcher.stop();
      stopFeed?.();
      await metrics?.server.close();
      await client.close();
    }
    if (!flags.json) {
      const staggers = result.staggers ? `, ${result.staggers} stagger${result.staggers === 1 ? '' : 's'} over ${staggerThresholdMs} ms` : '';
      process.stderr.write(`${result.changes} change${result.changes === 1 ? '' : 's'} traced${staggers}\n`);
    }
    return result;
  }
}

