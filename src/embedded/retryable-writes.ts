import type { Document } from 'bson';

const RETRYABLE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify']);
const MAX_REMEMBERED = 100_000;

/**
 * Results of retryable writes by (lsid, txnNumber): a retry of an already-applied write returns the first
 * result instead of applying the write twice, as a mongod's session transaction table does.
 */
export class RetryableWrites {
  private readonly results = new Map<string, Document>();

  keyOf(commandName: string, cmd: Document): string | undefined {
    if (!RETRYABLE_COMMANDS.has(commandName) || cmd.txnNumber === undefined || !cmd.lsid?.id) return undefined;
    if (cmd.autocommit !== undefined || cmd.startTransaction !== undefined) return undefined;
    return `${Buffer.from(cmd.lsid.id.buffer ?? cmd.lsid.id).toString('hex')}:${Number(cmd.txnNumber)}`;
  }

  get(key: string): Document | undefined {
    return this.results.get(key);
  }

  remember(key: string, reply: Document): void {
    this.results.set(key, reply);
    if (this.results.size > MAX_REMEMBERED) this.results.delete(this.results.keys().next().value!);
  }
}
