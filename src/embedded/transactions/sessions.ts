import { createHash } from 'node:crypto';
import { Binary, type Document, type Timestamp } from 'bson';
import type { DataNode } from '../data-node.js';
import { CommandError, ErrorCode } from '../errors.js';
import { parseReadConcern, snapshotReadTime, SNAPSHOT_READ_COMMANDS } from './read-concern.js';
import { snapshotNode } from './snapshot.js';
import { Transaction, type OpenTransaction } from './transaction.js';

/** The commands mongod runs inside a multi-document transaction (transaction_participant.cpp). */
const TRANSACTION_COMMANDS = new Set([
  'abortTransaction', 'aggregate', 'bulkWrite', 'commitTransaction', 'create', 'createIndexes', 'delete', 'distinct',
  'find', 'findandmodify', 'findAndModify', 'getMore', 'insert', 'killCursors', 'update',
]);
const TRANSACTION_READ_LEVELS = new Set(['local', 'majority', 'snapshot']);
const COMMIT_OR_ABORT = new Set(['commitTransaction', 'abortTransaction']);
/** Sessions remembered (txnNumber and transaction); the least recently used idle ones are forgotten beyond this. */
const MAX_SESSIONS = 100_000;

interface SessionRecord {
  txnNumber: number;
  transaction?: OpenTransaction;
}

/** How one command runs: on which node, in which transaction, and what its reply needs afterwards. */
export interface CommandScope {
  node: DataNode;
  transaction?: OpenTransaction;
  /** A snapshot read's time (a router reads each shard as of it). */
  readAt?: Timestamp;
  /** Adjusts a successful reply: a snapshot read's atClusterTime; a transaction statement's write error fails it. */
  finish(reply: Document): Document;
  /** The command failed: inside a transaction that aborts it (as mongod does on any statement's error). */
  failed(): void;
}

const invalid = (message: string) => new CommandError(ErrorCode.InvalidOptions, message);

/**
 * A node's logical sessions as far as transactions go (mongod's session catalog and TransactionParticipant):
 * each session's active txnNumber and its transaction, started, continued, committed and aborted by the
 * commands' `lsid`, `txnNumber`, `autocommit` and `startTransaction` fields.
 */
export class SessionTransactions {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly open = new Set<OpenTransaction>();
  private lastSweep = 0;

  /**
   * `begin` makes a transaction reading as of a time (a router's spans its shards); by default one on `node`.
   */
  constructor(
    private readonly node: DataNode,
    private readonly replicated: () => boolean,
    private readonly begin: (lsid: Document, txnNumber: number, readTs: Timestamp | undefined) => OpenTransaction
      = (lsid, txnNumber, readTs) => new Transaction(node, lsid, txnNumber, readTs ?? node.clock.now()),
    /**
     * A router's recovery of a transaction another router ran (a commitTransaction with a recoveryToken for a
     * transaction this one never saw): the transaction when the cluster knows it, else NoSuchTransaction.
     */
    private readonly recover?: (lsid: Document, txnNumber: number) => OpenTransaction | undefined,
  ) {}

  /** Decides where `cmd` runs; throws mongod's error when its session fields are not acceptable. */
  scope(name: string, cmd: Document, user?: string): CommandScope {
    if (this.open.size > 0) this.sweep();
    if (cmd.autocommit === undefined) {
      if (cmd.startTransaction !== undefined) throw invalid('Specifying startTransaction requires autocommit=false');
      if (cmd.txnNumber !== undefined && cmd.lsid?.id) this.retryableWrite(cmd);
      return this.outsideTransaction(name, cmd);
    }
    return this.insideTransaction(name, cmd, user);
  }

  /** A retryable write on a session moves its txnNumber on, which ends any transaction still open there. */
  private retryableWrite(cmd: Document): void {
    const record = this.record(cmd.lsid);
    const txnNumber = Number(cmd.txnNumber);
    if (txnNumber < record.txnNumber) {
      throw new CommandError(ErrorCode.TransactionTooOld, `Retryable write with txnNumber ${txnNumber} is prohibited on session ${sessionHex(cmd.lsid)} because a newer retryable write with txnNumber ${record.txnNumber} has already started on this session.`);
    }
    if (txnNumber > record.txnNumber) {
      this.end(record);
      record.txnNumber = txnNumber;
    }
  }

  private outsideTransaction(name: string, cmd: Document): CommandScope {
    const rc = parseReadConcern(cmd);
    if (rc?.level !== 'snapshot') return plain(this.node);
    if (!this.replicated()) throw new CommandError(ErrorCode.NotAReplicaSet, 'node needs to be a replica set member to use readConcern: snapshot');
    if (!SNAPSHOT_READ_COMMANDS.has(name)) throw invalid(`readConcern level 'snapshot' is not supported for the '${name}' command outside of a multi-document transaction`);
    const readTs = snapshotReadTime(rc, this.node.clock.now());
    return {
      node: snapshotNode(this.node, readTs),
      readAt: readTs,
      finish: (reply) => withAtClusterTime(reply, readTs),
      failed: () => {},
    };
  }

  private insideTransaction(name: string, cmd: Document, user: string | undefined): CommandScope {
    if (!this.replicated()) throw new CommandError(ErrorCode.IllegalOperation, 'Transaction numbers are only allowed on a replica set member or mongos');
    if (cmd.autocommit !== false) throw invalid('Specifying autocommit=true is not allowed.');
    if (!cmd.lsid?.id) throw invalid("'autocommit' field requires a session id to be specified");
    if (cmd.txnNumber === undefined) throw invalid("'autocommit' field requires a transaction number to also be specified");
    if (cmd.startTransaction !== undefined && cmd.startTransaction !== true) throw invalid('Specifying startTransaction=false is not allowed.');
    if (!TRANSACTION_COMMANDS.has(name)) throw new CommandError(ErrorCode.OperationNotSupportedInTransaction, `Cannot run '${name}' in a multi-document transaction.`);
    if (cmd.writeConcern !== undefined && !COMMIT_OR_ABORT.has(name)) throw invalid('writeConcern is not allowed within a multi-statement transaction');
    const record = this.record(cmd.lsid);
    const txnNumber = Number(cmd.txnNumber);
    if (txnNumber < record.txnNumber) {
      throw new CommandError(ErrorCode.TransactionTooOld, `Cannot start transaction ${txnNumber} on session ${sessionHex(cmd.lsid)} because a newer transaction ${record.txnNumber} has already started.`);
    }
    const transaction = cmd.startTransaction === true ? this.start(record, cmd, txnNumber, user) : this.continue(record, name, cmd, txnNumber);
    return {
      node: transaction.node,
      transaction,
      finish: (reply) => {
        // In a transaction a statement's write error fails the whole command (and so the transaction).
        const first = Array.isArray(reply.writeErrors) ? reply.writeErrors[0] : undefined;
        if (first) {
          const { index: _index, code, errmsg, ...extra } = first;
          throw new CommandError(code, errmsg, [], extra);
        }
        const recoveryToken = transaction.recoveryToken?.();
        if (!recoveryToken || reply.ok !== 1) return reply;
        const { ok, ...rest } = reply;
        return { ...rest, recoveryToken, ok };
      },
      failed: () => {
        if (transaction.state === 'inProgress') {
          transaction.abort();
          this.open.delete(transaction);
        }
      },
    };
  }

  private start(record: SessionRecord, cmd: Document, txnNumber: number, user: string | undefined): OpenTransaction {
    if (txnNumber === record.txnNumber) {
      throw new CommandError(ErrorCode.ConflictingOperationInProgress, 'Only servers in a sharded cluster can start a new transaction at the active transaction number');
    }
    const rc = parseReadConcern(cmd) ?? {};
    if (rc.level !== undefined && !TRANSACTION_READ_LEVELS.has(rc.level)) {
      throw invalid('The first command in a transaction cannot specify a readConcern level other than local, majority, or snapshot');
    }
    const readTs = rc.atClusterTime ? snapshotReadTime(rc, this.node.clock.now()) : undefined;
    this.end(record);
    record.txnNumber = txnNumber;
    const lsid = { id: cmd.lsid.id, uid: cmd.lsid.uid ?? userDigest(user) };
    record.transaction = this.begin(lsid, txnNumber, readTs);
    this.open.add(record.transaction);
    return record.transaction;
  }

  private continue(record: SessionRecord, name: string, cmd: Document, txnNumber: number): OpenTransaction {
    const recovered = name === 'commitTransaction' && cmd.recoveryToken && (txnNumber !== record.txnNumber || !record.transaction)
      ? this.recover?.(cmd.lsid, txnNumber) : undefined;
    // mongos recovers the decision from the recovery shard: a committed transaction commits again (a no-op);
    // one not committed there (still open on the router that ran it) is NoSuchTransaction here.
    const transaction = recovered?.state === 'committed' ? recovered : record.transaction;
    if (recovered?.state === 'committed') record.txnNumber = txnNumber;
    if (txnNumber !== record.txnNumber || !transaction) {
      throw new CommandError(ErrorCode.NoSuchTransaction, `Given transaction number ${txnNumber} does not match any in-progress transactions. The active transaction number is ${record.txnNumber}`);
    }
    if (transaction.state === 'aborted') throw new CommandError(ErrorCode.NoSuchTransaction, `Transaction with { txnNumber: ${txnNumber} } has been aborted.`);
    if (transaction.state === 'committed' && name !== 'commitTransaction') {
      throw new CommandError(ErrorCode.TransactionCommitted, `Transaction with { txnNumber: ${txnNumber} } has been committed.`);
    }
    if (cmd.readConcern !== undefined && transaction.state === 'inProgress') throw invalid('Only the first command in a transaction may specify a readConcern');
    return transaction;
  }

  /** Commits; undefined when the transaction wrote nothing. */
  commit(transaction: OpenTransaction): Timestamp | undefined {
    this.open.delete(transaction);
    return transaction.commit();
  }

  abort(transaction: OpenTransaction): void {
    this.open.delete(transaction);
    transaction.abort();
  }

  /** endSessions / killSessions: their open transactions are aborted and the sessions forgotten. */
  endSessions(lsids: Document[]): void {
    for (const lsid of lsids) {
      if (!lsid?.id) continue;
      const key = sessionHex(lsid);
      const record = this.sessions.get(key);
      if (!record) continue;
      this.end(record);
      this.sessions.delete(key);
    }
  }

  /** killAllSessions: every open transaction is aborted. */
  killAll(): void {
    for (const transaction of this.open) transaction.abort();
    this.open.clear();
  }

  /** Transactions past transactionLifetimeLimitSeconds are aborted (checked at most once a second). */
  private sweep(): void {
    const now = Date.now();
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const transaction of this.open) {
      if (transaction.state === 'inProgress' && !transaction.expired) continue;
      transaction.abort();
      this.open.delete(transaction); // expired, or aborted by a drop of what it wrote
    }
  }

  private end(record: SessionRecord): void {
    if (record.transaction?.state === 'inProgress') {
      record.transaction.abort();
      this.open.delete(record.transaction);
    }
  }

  private record(lsid: Document): SessionRecord {
    const key = sessionHex(lsid);
    let record = this.sessions.get(key);
    if (record) {
      // Most recently used last, so the oldest idle session is the first one.
      this.sessions.delete(key);
      this.sessions.set(key, record);
      return record;
    }
    record = { txnNumber: -1 };
    this.sessions.set(key, record);
    if (this.sessions.size > MAX_SESSIONS) {
      for (const [oldKey, old] of this.sessions) {
        if (old.transaction?.state === 'inProgress') continue;
        this.sessions.delete(oldKey);
        break;
      }
    }
    return record;
  }
}

function plain(node: DataNode): CommandScope {
  return { node, finish: (reply) => reply, failed: () => {} };
}

/** mongod reports the time a snapshot read read at: in the cursor (find, aggregate) or at the top (distinct). */
function withAtClusterTime(reply: Document, ts: Timestamp): Document {
  if (reply.ok !== 1) return reply;
  if (reply.cursor && typeof reply.cursor === 'object') return { ...reply, cursor: { ...reply.cursor, atClusterTime: ts } };
  const { ok, ...rest } = reply;
  return { ...rest, atClusterTime: ts, ok };
}

export function sessionHex(lsid: Document): string {
  const id = lsid.id;
  return Buffer.from(id?.buffer ?? id).toString('hex');
}

/** A session's uid as mongod derives it: SHA-256 of the authenticated user's name ("" when none). */
function userDigest(user: string | undefined): Binary {
  return new Binary(createHash('sha256').update(user ?? '').digest(), 0);
}
