import { openClient } from '../connect/client.js';
import { addressOf } from '../connect/uri.js';
import { startEmbeddedServer } from '../embedded/index.js';
import { FAMILIAR_SYMBOL_NAMES } from '../load/dataset.js';
import { runLoad, type LoadSummary } from '../load/loader.js';
import { runMutator, type MutatorSummary } from '../mutate/mutator.js';
import { runLiveDisplay } from '../render/display-live.js';
import { renderLoadSummary, renderMutateSummary } from '../render/summary.js';
import { colourEnabled } from '../util/colour.js';
import { TickerCommand } from '../util/command-base.js';
import { UserError } from '../util/errors.js';
import { BOUNDS, describeBound } from '../util/bounds.js';
import { durationFlag, portFlag, positiveIntFlag, rateFlag, staggerThresholdFlag } from '../util/flags.js';
import { createWatcher } from '../watch/watcher.js';

export interface DemoResult {
  uri: string;
  load: LoadSummary;
  /** Absent when the demo was stopped while loading. */
  mutate?: MutatorSummary;
  display: { changes: number; resyncs: number };
}

export default class Demo extends TickerCommand {
  static override summary = 'The whole thing at once: server, load, mutations and the live display.';

  static override description =
    'Starts the embedded server in this process, loads the small data set, changes it at 16 ops/s and shows the live display; ' +
    'Ctrl-C stops everything with a summary.';

  static override examples = [
    { description: 'Watch prices change until Ctrl-C', command: '<%= config.bin %> demo' },
    { description: 'Faster changes', command: '<%= config.bin %> demo --rate 100' },
    { description: 'Half a minute on a fixed port', command: '<%= config.bin %> demo --duration 30s --port 27018' },
  ];

  static override flags = {
    port: portFlag({ description: 'port for the embedded server (default: a free one)', default: 0 }),
    rate: rateFlag({ description: `mutations per second; ${describeBound(BOUNDS.rate)}`, default: 16, bound: BOUNDS.rate }),
    count: positiveIntFlag({ description: `bulk documents to load; ${describeBound(BOUNDS.count)}`, default: 20_000, bound: BOUNDS.count }),
    duration: durationFlag({ description: 'stop after this long (e.g. 30s); default: until Ctrl-C' }),
    'stagger-threshold': staggerThresholdFlag(),
  };

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(Demo);
    // Ctrl-C, SIGTERM and --duration all end the demo the same way.
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    this.stopSignal.addEventListener('abort', stop, { once: true });
    const starting = startEmbeddedServer({ port: flags.port }).catch((error: NodeJS.ErrnoException) => {
      this.stopSignal.removeEventListener('abort', stop);
      if (error.code === 'EADDRINUSE') throw new UserError(`port ${flags.port} is already in use on 127.0.0.1 (another mongod or ticker server?): choose another with --port, or leave it out`);
      if (error.code === 'EACCES') throw new UserError(`not allowed to listen on 127.0.0.1:${flags.port}: ports below 1024 need privileges; choose another with --port`);
      throw error;
    });
    const server = await this.interruptible(starting, 'starting the server', (s) => s.stop());
    const db = 'market';
    const coll = 'stocksymbols';
    const colour = colourEnabled(process.stdout);
    const note = (line: string): void => void process.stderr.write(`${line}\n`);
    let timer: NodeJS.Timeout | undefined;
    let client: Awaited<ReturnType<typeof openClient>> | undefined;
    try {
      client = await openClient(server.uri);
      note(`embedded server listening at ${server.uri}`);
      const load = await runLoad({ uri: server.uri, client, db, coll, count: flags.count, signal: abort.signal });
      // The server is in memory: whatever was loaded goes with it, so there is nothing to clean up.
      note(renderLoadSummary(load, { colour: colourEnabled(process.stderr), cleanHint: false }));
      if (load.interrupted) {
        this.log('display: 0 price changes shown (stopped while loading)');
        return { uri: server.uri, load, display: { changes: 0, resyncs: 0 } };
      }

      const staggerThresholdMs = flags['stagger-threshold'];
      const watcher = createWatcher({ client, db, coll, staggerThresholdMs });
      const shown = runLiveDisplay({
        watcher, symbols: FAMILIAR_SYMBOL_NAMES, signal: abort.signal, colour, note, staggerThresholdMs,
        title: `embedded ${addressOf(server.uri)} · ${db}.${coll} · ${flags.rate} ops/s`,
      });
      await this.interruptible(watcher.start(), 'reading the initial snapshot');
      if (flags.duration !== undefined) timer = setTimeout(stop, flags.duration);
      const mutating = runMutator({ client, db, coll, rate: flags.rate, durationMs: Number.POSITIVE_INFINITY, signal: abort.signal });
      const display = await shown;
      abort.abort();
      const mutate = await mutating;
      await watcher.stop();
      await watcher.done;

      this.log(renderMutateSummary(mutate, { colour, interrupted: true }));
      this.log(`display: ${display.changes} price change${display.changes === 1 ? '' : 's'} shown${display.resyncs ? `, ${display.resyncs} resyncs` : ''}`);
      return { uri: server.uri, load, mutate, display: { changes: display.changes, resyncs: display.resyncs } };
    } finally {
      if (timer) clearTimeout(timer);
      this.stopSignal.removeEventListener('abort', stop);
      await client?.close();
      await server.stop();
    }
  }
}
