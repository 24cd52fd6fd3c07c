import type { Document, Timestamp } from 'bson';
import { compareTimestamps } from '../clock.js';
import type { DataNode } from '../data-node.js';
import { Transaction, TRANSACTION_LIFETIME_MS, type OpenTransaction, type TransactionState } from '../transactions/transaction.js';
import type { Shard } from './shard.js';

/**
 * A transaction through the router: one participant transaction per shard it touches, each reading that
 * shard as of its first statement there (or all at the snapshot's atClusterTime), committed or aborted
 * together. In one process the commit of all participants is a single step, so no two-phase commit is needed.
 */
export class ShardedTransaction implements OpenTransaction {
  state: TransactionState = 'inProgress';
  private readonly startedAt = Date.now();
  private readonly participants = new Map<number, Transaction>();

  constructor(
    private readonly shards: readonly Shard[],
    readonly node: DataNode,
    private readonly lsid: Document,
    private readonly txnNumber: number,
    private readonly readTs: Timestamp | undefined,
  ) {}

  get expired(): boolean {
    return this.state === 'inProgress' && Date.now() - this.startedAt > TRANSACTION_LIFETIME_MS;
  }

  on(shard: number): DataNode {
    let participant = this.participants.get(shard);
    if (!participant) {
      const node = this.shards[shard].node;
      participant = new Transaction(node, this.lsid, this.txnNumber, this.readTs ?? node.clock.now());
      this.participants.set(shard, participant);
    }
    return participant.node;
  }

  recoveryToken(): Document | undefined {
    const first = this.participants.keys().next();
    return first.done ? undefined : { recoveryShardId: this.shards[first.value].name };
  }

  commit(): Timestamp | undefined {
    let latest: Timestamp | undefined;
    for (const participant of this.participants.values()) {
      const ts = participant.commit();
      if (ts && (!latest || compareTimestamps(ts, latest) > 0)) latest = ts;
    }
    this.state = 'committed';
    return latest;
  }

  abort(): void {
    if (this.state !== 'inProgress') return;
    for (const participant of this.participants.values()) participant.abort();
    this.state = 'aborted';
  }
}
