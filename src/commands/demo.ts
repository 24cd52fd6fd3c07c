import { Flags } from '@oclif/core';
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
import { durationFlag, positiveIntFlag, rateFlag } from '../util/flags.js';
import { createWatcher } from '../watch/watcher.js';

export interface DemoResult {
  uri: string;
  load: LoadSummary;
  mutate: MutatorSummary;
  display: { changes: number; resyncs: number };
}

export default class Demo extends TickerCommand {
  static override description =
    'The whole thing at once: start the embedded server in this process, load the small data set, change it at 16 ops/s and show the live display; Ctrl-C stops everything with a summary';

  static override examples = ['<%= config.bin %> demo', '<%= config.bin %> demo --rate 100', '<%= config.bin %> demo --duration 30s --port 27018'];

  static override flags = {
    port: Flags.integer({ description: 'port for the embedded server (default: a free one)', default: 0, min: 0, max: 65535 }),
    rate: rateFlag({ description: 'mutations per second', default: 16 }),
    count: positiveIntFlag({ description: 'bulk documents to load', default: 20_000 }),
    duration: durationFlag({ description: 'stop after this long (e.g. 30s); default: until Ctrl-C' }),
  };

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(Demo);
    const abort = new AbortController();
    const stop = (): void => abort.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const server = await startEmbeddedServer({ port: flags.port }).catch((error: NodeJS.ErrnoException) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      if (error.code === 'EADDRINUSE') throw new UserError(`port ${flags.port} is already in use on 127.0.0.1 (another mongod or ticker server?): choose another with --port, or leave it out`);
      if (error.code === 'EACCES') throw new UserError(`not allowed to listen on 127.0.0.1:${flags.port}: ports below 1024 need privileges; choose another with --port`);
      throw error;
    });
    const db = 'market';
    const coll = 'stocksymbols';
    const colour = colourEnabled(process.stdout);
    const note = (line: string): void => void process.stderr.write(`${line}\n`);
    let timer: NodeJS.Timeout | undefined;
    const client = await openClient(server.uri);
    try {
      note(`embedded server listening at ${server.uri}`);
      const load = await runLoad({ uri: server.uri, client, db, coll, count: flags.count, signal: abort.signal });
      note(renderLoadSummary(load, { colour: colourEnabled(process.stderr) }));
      if (load.interrupted) throw Object.assign(new Error('interrupted'), { interrupted: true });

      const watcher = createWatcher({ client, db, coll });
      const shown = runLiveDisplay({
        watcher, symbols: FAMILIAR_SYMBOL_NAMES, signal: abort.signal, colour, note,
        title: `embedded ${addressOf(server.uri)} · ${db}.${coll} · ${flags.rate} ops/s`,
      });
      await watcher.start();
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
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await client.close();
      await server.stop();
    }
  }
}
