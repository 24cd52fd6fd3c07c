import { openClient } from '../connect/client.js';
import { addressOf, resolveUri } from '../connect/uri.js';
import { TickerCommand, connectionFlags } from '../util/command-base.js';
import { colours } from '../util/colour.js';
import { commandHint } from '../util/invocation.js';

export interface CleanResult {
  database: string;
  existed: boolean;
  collections: number;
  /** counted just before the drop: a writer still running may have added more in between */
  documents: number;
  /** user collections found again right after the drop (something still writes there) */
  recreated: number;
}

export default class Clean extends TickerCommand {
  static override summary = 'Drop the market database (or the one given with --db) and say what was dropped.';

  static override description =
    'Asks nothing, as the original CLEAN. MongoDB\'s own databases (admin, local, config) are refused. The documents are counted ' +
    'just before the drop (the summary says so); if something writes the database again right after it, clean says so and exits 1.';

  static override examples = [
    { description: 'Drop market on the default address', command: '<%= config.bin %> clean' },
    { description: 'Drop a named database on a given server', command: '<%= config.bin %> clean --db market --uri mongodb://127.0.0.1:27017' },
    { description: 'What was dropped, as JSON', command: '<%= config.bin %> clean --json' },
  ];

  static override enableJsonFlag = true;

  static override flags = { uri: connectionFlags.uri, db: connectionFlags.db };

  async run(): Promise<CleanResult> {
    const { flags } = await this.parse(Clean);
    const uri = resolveUri(flags.uri);
    const client = await this.interruptible(openClient(uri), 'connecting', (c) => c.close());
    try {
      const database = client.db(flags.db);
      const collections = await this.interruptible(database.listCollections({}, { nameOnly: true }).toArray(), 'looking at the database');
      const user = collections.filter((c) => !c.name.startsWith('system.'));
      let documents = 0;
      for (const { name } of user) documents += await this.interruptible(database.collection(name).estimatedDocumentCount(), 'counting documents');
      const existed = user.length > 0;
      // Once asked, the drop is one command: a signal now waits for its answer, so the summary is true.
      if (existed) await this.writing(() => database.dropDatabase());
      const collectionsDropped = user.length;
      // A count and a drop are two commands: a writer still running (mutate, bench) may add documents in
      // between, or create the collection again right after. Say what is known, and look again.
      const after = existed ? (await database.listCollections({}, { nameOnly: true }).toArray()).filter((c) => !c.name.startsWith('system.')) : [];
      const result: CleanResult = { database: flags.db, existed, collections: collectionsDropped, documents, recreated: after.length };
      this.log(
        existed
          ? `dropped database ${flags.db} on ${addressOf(uri)} (${collectionsDropped} collection${collectionsDropped === 1 ? '' : 's'}, ${documents.toLocaleString('en-US')} documents counted just before the drop)`
          : `database ${flags.db} on ${addressOf(uri)} holds nothing: nothing to drop`,
      );
      if (after.length > 0) {
        const names = after.map((c) => c.name).sort().join(', ');
        const line = `${flags.db} was written to again right after the drop (${names}): is a ${commandHint('mutate')} or ${commandHint('bench latency')} still running against it? Stop it and run ${commandHint(`clean${flags.db === 'market' ? '' : ` --db ${flags.db}`}`)} again`;
        if (!this.jsonEnabled()) process.stderr.write(`${colours(process.stderr).red('Error:')} ${line}\n`);
        process.exitCode = 1;
      }
      return result;
    } finally {
      await client.close();
    }
  }
}
