import { Flags } from '@oclif/core';
import { coldShardRanges, inRanges } from '../connect/chunk-map.js';
import { openClient } from '../connect/client.js';
import { requireLoaded } from '../connect/collection.js';
import { describeTarget, requireChangeStreams } from '../connect/topology.js';
import { resolveUri } from '../connect/uri.js';
import { formatMix, parseMix, type MixSpec } from '../mutate/mix.js';
import { DEFAULT_DRAIN_MS, runMutator, type MutatorSummary } from '../mutate/mutator.js';
import { renderMutateProgress, renderMutateSummary } from '../render/summary.js';
import { colourEnabled } from '../util/colour.js';
import { TickerCommand, connectionFlags } from '../util/command-base.js';
import { BOUNDS, describeBound } from '../util/bounds.js';
import { durationFlag, rateFlag } from '../util/flags.js';
import { feedFromMutator } from '../metrics/feeds.js';
import { metricsFlags, startCommandMetrics } from '../metrics/flags.js';

const mixFlag = Flags.custom<MixSpec>({
  helpValue: '<mix>',
  parse: async (input) => parseMix(input),
});

export default class Mutate extends TickerCommand {
  static override summary = 'Change the stock data at a precise rate (open loop).';

  static override description =
    'The original mix of familiar-symbol price updates, A-symbol updates, Z deletes and Z re-inserts; every write carries its ' +
    'sequence number and intended send time. Live counters on a TTY; a summary at the end or on Ctrl-C. --duration ends the run ' +
    'on time even when the server cannot keep up; the summary then says how many operations were never sent. The wait for ' +
    'operations still in flight after the end is bounded (--drain-timeout); the summary says how many it gave up on.';

  static override examples = [
    { description: 'The original mix at 16 ops/s until Ctrl-C', command: '<%= config.bin %> mutate' },
    { description: '1000 ops/s for half a minute', command: '<%= config.bin %> mutate --rate 1000 --duration 30s' },
    { description: 'Only price updates, three familiar for one A, as JSON', command: '<%= config.bin %> mutate --rate 100 --mix familiar:3,a-update --duration 1m --json' },
    { description: 'Warm up over 3 s before the full rate', command: '<%= config.bin %> mutate --rate 5000 --ramp 3s --duration 1m' },
    { description: 'Leave one shard idle, to see its staggers', command: '<%= config.bin %> mutate --uri "mongodb://mongos:27017" --cold-shard shard02' },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    ...connectionFlags,
    rate: rateFlag({ description: `operations per second; ${describeBound(BOUNDS.rate)}`, default: 16, bound: BOUNDS.rate }),
    duration: durationFlag({ description: 'how long to run (e.g. 30s, 5m); default: until Ctrl-C' }),
    mix: mixFlag({ description: 'operation kinds and weights per round, e.g. familiar:3,a-update (default: original = the four kinds once each)' }),
    ramp: durationFlag({ description: 'rise from zero to --rate over this long first (lets a cold client and server warm up)', allowZero: true, default: 0 }),
    'cold-shard': Flags.string({ helpValue: '<shard>', description: 'keep every write off this shard (sharded clusters): change streams then stagger by its no-op interval' }),
    'drain-timeout': durationFlag({ description: 'after the end, wait at most this long for operations still in flight (those left are reported, outcome unknown)', default: DEFAULT_DRAIN_MS, allowZero: true }),
    ...metricsFlags,
  };

  async run(): Promise<MutatorSummary & { interrupted: boolean }> {
    const { flags } = await this.parse(Mutate);
    const uri = resolveUri(flags.uri);
    const client = await this.interruptible(openClient(uri), 'connecting', (c) => c.close());
    const live = process.stderr.isTTY === true && !this.jsonEnabled();
    const metrics = await startCommandMetrics(flags).catch(async (error: unknown) => {
      await client.close();
      throw error;
    });
    if (metrics && !this.jsonEnabled()) this.logToStderr(`metrics: ${metrics.server.url}`);
    try {
      requireChangeStreams(await this.interruptible(describeTarget(client), 'looking at the target')); // a standalone is refused before any work
      await this.interruptible(requireLoaded(client, flags.db, flags.collection), 'looking at the collection'); // before announcing anything
      const cold = flags['cold-shard'] === undefined
        ? undefined
        : await this.interruptible(coldShardRanges(client, flags.db, flags.collection, flags['cold-shard']), 'reading the chunk map');
      const announce = (): void => {
        if (this.jsonEnabled()) return;
        const mixText = flags.mix ? formatMix(flags.mix) : 'original';
        const coldText = cold ? `, nothing on shard ${flags['cold-shard']}` : '';
        this.logToStderr(`mutating ${flags.db}.${flags.collection} at ${flags.rate} ops/s (mix ${mixText}${coldText})${flags.duration ? ` for ${flags.duration / 1000}s` : ''}; Ctrl-C to stop`);
      };
      const summary = await runMutator({
        onStart: announce,
        client, db: flags.db, coll: flags.collection, rate: flags.rate,
        durationMs: flags.duration ?? Number.POSITIVE_INFINITY,
        signal: this.stopSignal,
        rampMs: flags.ramp,
        drainMs: flags['drain-timeout'],
        ...(cold ? { avoid: (symbol: string) => inRanges(cold, symbol) } : {}),
        ...(flags.mix ? { mix: flags.mix } : {}),
        ...(live || metrics
          ? {
              onProgress: (p) => {
                if (metrics) feedFromMutator(metrics.metrics, p);
                if (live) process.stderr.write(`\r\x1b[K${renderMutateProgress(p, flags.rate)}`);
              },
              progressIntervalMs: 500,
            }
          : {}),
      });
      if (live) process.stderr.write('\r\x1b[K');
      const interrupted = this.stopSignal.aborted;
      this.log(renderMutateSummary(summary, { colour: colourEnabled(process.stdout), interrupted }));
      return { ...summary, interrupted };
    } finally {
      await metrics?.server.close();
      await client.close();
    }
  }
}
