import { Flags } from '@oclif/core';
import { resolveUri } from '../connect/uri.js';
import { runLiveDisplay } from '../render/display-live.js';
import { colourEnabled } from '../util/colour.js';
import { TickerCommand, connectionFlags } from '../util/command-base.js';
import { durationFlag, staggerThresholdFlag } from '../util/flags.js';
import { sameTargetHint } from '../util/invocation.js';
import { NUDGE_AFTER_MS } from '../render/status-line.js';
import { COLLECTION, DATABASE } from '../load/dataset.js';
import { feedFromWatcher } from '../metrics/feeds.js';
import { metricsFlags, startCommandMetrics } from '../metrics/flags.js';
import { openWatchTarget } from '../watch/open.js';
import { resolveSymbols } from '../watch/symbols.js';
import { createWatcher } from '../watch/watcher.js';

export default class Display extends TickerCommand {
  static override summary = 'A live full-screen table of prices.';

  static override description =
    'One row per symbol with price, change and direction, recent changes highlighted for two seconds; events/s, stream lag and ' +
    'staggers in a status line: STAGGER with how long the server has held the stream\'s events back, past --stagger-threshold (the ' +
    'rule bench latency counts by). Falls back to trace-style lines when not on a terminal. On Ctrl-C it says how many changes it showed.';

  static override examples = [
    { description: 'The 13 familiar symbols', command: '<%= config.bin %> display' },
    { description: 'Four symbols of your choice', command: '<%= config.bin %> display --symbols MDB,ORCL,AAPL,GOOGL' },
    { description: 'Count every change event, on a given replica set', command: '<%= config.bin %> display --all --uri "mongodb://127.0.0.1:27017/?replicaSet=rs0"' },
  ];

  static override flags = {
    ...connectionFlags,
    symbols: Flags.string({ helpValue: '<list>', description: 'comma-separated symbols to show (default: the 13 familiar symbols)' }),
    all: Flags.boolean({ description: 'count every change event of the collection, not only the shown symbols’ prices', default: false }),
    duration: durationFlag({ description: 'stop after this long (e.g. 30s); default: until Ctrl-C' }),
    'stagger-threshold': staggerThresholdFlag(),
    'nudge-after': durationFlag({ description: 'say how to start a writer after this long without a change', default: NUDGE_AFTER_MS, hidden: true }),
    ...metricsFlags,
  };

  async run(): Promise<{ changes: number; resyncs: number; staggers: number }> {
    const { flags } = await this.parse(Display);
    const symbols = resolveSymbols(flags.symbols);
    const uri = resolveUri(flags.uri);
    const { client, address } = await this.interruptible(openWatchTarget(uri, flags.db, flags.collection, symbols), 'connecting', (t) => t.client.close());
    const staggerThresholdMs = flags['stagger-threshold'];
    const watcher = createWatcher({ client, db: flags.db, coll: flags.collection, symbols, all: flags.all, staggerThresholdMs });
    const metrics = await startCommandMetrics(flags).catch(async (error: unknown) => {
      await client.close();
      throw error;
    });
    const stopFeed = metrics ? feedFromWatcher(metrics.metrics, watcher, client) : undefined;
    // Ctrl-C, SIGTERM and --duration all end the display the same way.
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    this.stopSignal.addEventListener('abort', stop, { once: true });
    const timer = flags.duration === undefined ? undefined : setTimeout(stop, flags.duration);
    try {
      const shown = runLiveDisplay({
        watcher, symbols, signal: abort.signal, colour: colourEnabled(process.stdout), staggerThresholdMs,
        nudge: { namespace: `${flags.db}.${flags.collection}`, mutateHint: sameTargetHint('mutate', flags, { db: DATABASE, collection: COLLECTION }), afterMs: flags['nudge-after'] },
        title: `${address} · ${flags.db}.${flags.collection}`,
      });
      try {
        // A stop during the initial sync ends the display like any other stop.
        const stopped = new Promise<void>((resolve) => abort.signal.addEventListener('abort', () => resolve(), { once: true }));
        const starting = watcher.start();
        starting.catch(() => undefined); // lost the race to a stop: the stream is closed below
        await Promise.race([starting, stopped]);
      } catch (error) {
        abort.abort(); // restore the terminal before the error is shown
        await shown;
        throw error;
      }
      const result = await shown;
      await watcher.stop();
      await watcher.done; // rethrows a failure of the stream
      const staggers = result.state.staggers ? `, ${result.state.staggers} stagger${result.state.staggers === 1 ? '' : 's'} over ${staggerThresholdMs} ms` : '';
      process.stderr.write(`display: ${result.changes} price change${result.changes === 1 ? '' : 's'} shown${result.resyncs ? `, ${result.resyncs} resyncs` : ''}${staggers}\n`);
      return { changes: result.changes, resyncs: result.resyncs, staggers: result.state.staggers };
    } finally {
      if (timer) clearTimeout(timer);
      this.stopSignal.removeEventListener('abort', stop);
      await watcher.stop();
      stopFeed?.();
      await metrics?.server.close();
      await client.close();
    }
  }
}
