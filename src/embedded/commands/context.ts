import type { Document, Timestamp } from 'bson';
import type { CursorRegistry } from '../cursors.js';
import type { DataNode } from '../data-node.js';
import type { Deadline } from '../exec/deadline.js';
import type { FailPoints } from '../failpoints.js';
import type { StatementLog } from '../retryable-writes.js';
import type { Topology } from '../topology.js';
import type { SessionTransactions } from '../transactions/sessions.js';
import type { OpenTransaction } from '../transactions/transaction.js';

/** What one connection knows about itself. */
export interface ConnectionState {
  id: number;
  remote: string;
  /** Aborted when the connection closes: pending waits (getMore, awaitable hello) stop. */
  closed: AbortSignal;
  clientMetadata?: Document;
  /** User name once authenticated (only meaningful when the server requires auth). */
  user?: string;
  /** Conversation state of an ongoing SASL exchange. */
  sasl?: unknown;
}

export interface CommandContext {
  db: string;
  node: DataNode;
  topology: Topology;
  cursors: CursorRegistry;
  failPoints: FailPoints;
  conn: ConnectionState;
  /** The node's sessions (transactions), where the server keeps them. */
  sessions?: SessionTransactions;
  /** The transaction this command runs in (ctx.node is then its view of the data). */
  transaction?: OpenTransaction;
  /** Set for a snapshot read outside a transaction: the cluster time it reads at. */
  readAt?: Timestamp;
  /** The command's maxTimeMS and its connection's end: long loops yield and check it in slices. */
  deadline: Deadline;
  /** A retryable write's statements (set for writes with lsid and txnNumber outside transactions). */
  retry?: StatementLog;
}

export type CommandHandler = (cmd: Document, ctx: CommandContext) => Document | Promise<Document>;
export type CommandTable = Record<string, CommandHandler>;

/** The collection named by the command's first field, e.g. `{ find: "stocksymbols" }`. */
export function collectionArg(cmd: Document, name: string): string {
  const value = cmd[name];
  if (typeof value !== 'string' || value.length === 0) {
    throw Object.assign(new Error(`collection name has invalid type ${typeof value}`), { code: 73 });
  }
  return value;
}
