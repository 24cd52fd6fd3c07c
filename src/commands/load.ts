import { Flags } from '@oclif/core';
import cliProgress from 'cli-progress';
import { openClient } from '../connect/client.js';
import { describeTarget, requireChangeStreams, type Target } from '../connect/topology.js';
import { resolveUri } from '../connect/uri.js';
import { COLLECTION, DATABASE } from '../load/dataset.js';
import { runLoad, type LoadSummary } from '../load/loader.js';
import { renderLoadPace, renderLoadPlan, renderLoadSummary } from '../render/summary.js';
import { colourEnabled, colours } from '../util/colour.js';
import { TickerCommand, connectionFlags } from '../util/command-base.js';
import { sameTargetHint } from '../util/invocation.js';
import { BOUNDS, describeBound } from '../util/bounds.js';
import { positiveIntFlag, wholeNumberFlag } from '../util/flags.js';

/** A large load without a progress bar says its measured pace once, this long after it began (s). */
const PACE_AFTER_S = 5;

export default class Load extends TickerCommand {
  static override summary = 'Load the stock data set into an empty collection.';

  static override description =
    '20,000 bulk symbols (8,000,000 with --sharded or on a mongos) plus the 13 familiar ones, generated and inserted by a pool of ' +
    'worker threads (a load under 100,000 documents by this thread alone, unless --workers). A collection that already holds ' +
    'documents is refused; documents another client wrote during the load are reported, and the load exits 1.';

  static override examples = [
    { description: 'Load the small data set into market.stocksymbols on the default address', command: '<%= config.bin %> load' },
    { description: 'A bigger load with four worker threads', command: '<%= config.bin %> load --count 100000 --workers 4 --batch-size 2000' },
    { description: 'The 8,000,000-document data set on a sharded cluster', command: '<%= config.bin %> load --sharded --uri mongodb://mongos.example:27017' },
    { description: 'The summary as JSON', command: '<%= config.bin %> load --json' },
  ];

  static override enableJsonFlag = true;

  static override flags = {
    ...connectionFlags,
    sharded: Flags.boolean({ description: 'load the large data set (8,000,000); automatic on a mongos', default: false }),
    count: positiveIntFlag({ description: `bulk documents to load (default 20,000, or 8,000,000 when sharded); ${describeBound(BOUNDS.count)}`, bound: BOUNDS.count }),
    workers: positiveIntFlag({ description: `worker threads (default: cores − 1, at most 4; none for loads under 100,000 documents, which this thread finishes sooner); ${describeBound(BOUNDS.workers)}`, bound: BOUNDS.workers }),
    'batch-size': positiveIntFlag({ description: `documents per insertMany; ${describeBound(BOUNDS.batchSize)}`, default: 1000, bound: BOUNDS.batchSize }),
    seed: wholeNumberFlag({ description: 'seed for reproducible prices', hidden: true, bound: BOUNDS.seed }),
  };

  async run(): Promise<LoadSummary> {
    const { flags } = await this.parse(Load);
    const uri = resolveUri(flags.uri);
    const client = await this.interruptible(openClient(uri), 'connecting', (c) => c.close());
    let target: Target;
    try {
      target = await this.interruptible(describeTarget(client), 'looking at the target');
      requireChangeStreams(target); // a standalone is refused before any work
    } catch (error) {
      await client.close();
      throw error;
    }
    const tty = process.stderr.isTTY === true && !this.jsonEnabled();
    const bar = tty
      ? new cliProgress.SingleBar(
          { format: 'loading [{bar}] {percentage}% | {value}/{total} docs | {speed} docs/s | ETA {eta_formatted}', hideCursor: true, stream: process.stderr },
          cliProgress.Presets.shades_classic,
        )
      : undefined;
    const startedAt = performance.now();
    let barStarted = false;
    // A large load says what it will do before it starts, and (without a progress bar) the measured pace once.
    const say = (line: string): void => void (this.jsonEnabled() ? undefined : process.stderr.write(`${line}\n`));
    let paceSaid = false;
    let announced = false;
    try {
      const summary = await runLoad({
        uri, client, target, db: flags.db, coll: flags.collection, sharded: flags.sharded, signal: this.stopSignal,
        ...(flags.count !== undefined ? { count: flags.count } : {}),
        ...(flags.workers !== undefined ? { workers: flags.workers } : {}),
        batchSize: flags['batch-size'],
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        onPlan: (plan) => {
          const line = renderLoadPlan(plan);
          if (line) say(line);
          announced = line !== undefined;
        },
        onProgress: (done, total) => {
          const seconds = (performance.now() - startedAt) / 1000;
          if (bar) {
            if (!barStarted) bar.start(total, 0, { speed: '0' });
            barStarted = true;
            bar.update(done, { speed: Math.round(done / seconds).toLocaleString('en-US') });
          } else if (announced && !paceSaid && seconds >= PACE_AFTER_S && done < total) {
            paceSaid = true;
            say(renderLoadPace(done, total, seconds));
          }
        },
      });
      bar?.stop();
      barStarted = false;
      // The way to undo an interrupted load, for this database and server (a URI with a password is not repeated).
      const cleanHint = sameTargetHint('clean', { uri: flags.uri, db: flags.db }, { db: DATABASE, collection: COLLECTION });
      this.log(renderLoadSummary(summary, { colour: colourEnabled(process.stdout), cleanHint }));
      if (summary.foreign > 0) {
        // Not what was asked for: a data set of two authors. Said after the summary, which counts only ours.
        const line = `${summary.namespace} holds ${summary.foreign.toLocaleString('en-US')} document${summary.foreign === 1 ? '' : 's'} this load did not write ` +
          `(another load or client wrote to it at the same time): run ${cleanHint} and load again`;
        if (!this.jsonEnabled()) process.stderr.write(`${colours(process.stderr).red('Error:')} ${line}\n`);
        process.exitCode = 1;
      }
      return summary;
    } finally {
      if (barStarted) bar?.stop();
      await client.close();
    }
  }
}
