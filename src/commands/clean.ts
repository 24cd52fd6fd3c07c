import { openClient } from '../connect/client.js';
import { addressOf, resolveUri } from '../connect/uri.js';
import { TickerCommand, connectionFlags } from '../util/command-base.js';

export interface CleanResult {
  database: string;
  existed: boolean;
  collections: number;
  documents: number;
}

export default class Clean extends TickerCommand {
  static override description = 'Drop the market database (or the one given with --db) and say what was dropped; asks nothing, as the original CLEAN';

  static override examples = [
    '<%= config.bin %> clean',
    '<%= config.bin %> clean --db market --uri mongodb://127.0.0.1:27017',
    '<%= config.bin %> clean --json',
  ];

  static override enableJsonFlag = true;

  static override flags = { uri: connectionFlags.uri, db: connectionFlags.db };

  async run(): Promise<CleanResult> {
    const { flags } = await this.parse(Clean);
    const uri = resolveUri(flags.uri);
    const client = await openClient(uri);
    try {
      const database = client.db(flags.db);
      const collections = (await database.listCollections({}, { nameOnly: true }).toArray()).filter((c) => !c.name.startsWith('system.'));
      let documents = 0;
      for (const { name } of collections) documents += await database.collection(name).estimatedDocumentCount();
      const existed = collections.length > 0;
      if (existed) await database.dropDatabase();
      const result: CleanResult = { database: flags.db, existed, collections: collections.length, documents };
      this.log(
        existed
          ? `dropped database ${flags.db} on ${addressOf(uri)} (${collections.length} collection${collections.length === 1 ? '' : 's'}, ${documents.toLocaleString('en-US')} documents)`
          : `database ${flags.db} on ${addressOf(uri)} holds nothing: nothing to drop`,
      );
      return result;
    } finally {
      await client.close();
    }
  }
}
