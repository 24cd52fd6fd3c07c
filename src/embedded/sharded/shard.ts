import { Timestamp } from 'bson';
import { compareTimestamps, LogicalClock } from '../clock.js';
import { DataNode } from '../data-node.js';
import { WireServer } from '../server.js';

/**
 * One shard's cluster clock. Only the shard's own writes and no-ops tick it, so an idle shard's oplog
 * stands still. Gossip (a router passing on the cluster time it knows, as a real mongos does) only raises
 * the floor the next tick starts from; it never writes anything.
 *
 * Increments are interleaved between shards (slot k of n uses i = k+1, k+1+n, ...) so no two shards ever
 * produce the same Timestamp: events merged from all shards keep a strict order and a resume token names
 * exactly one point of the merged stream.
 */
export class ShardClock extends LogicalClock {
  private sec = 0;
  private seq = -1;
  private floor: Timestamp | undefined;

  constructor(private readonly slot: number, private readonly slots: number) {
    super();
  }

  private current(): Timestamp {
    return new Timestamp({ t: this.sec, i: this.seq * this.slots + this.slot + 1 });
  }

  override tick(): Timestamp {
    const wall = Math.floor(Date.now() / 1000);
    if (wall > this.sec) {
      this.sec = wall;
      this.seq = 0;
    } else {
      this.seq++;
    }
    const floor = this.floor;
    if (floor !== undefined && compareTimestamps(this.current(), floor) <= 0) {
      if (floor.t > this.sec) this.sec = floor.t;
      // The smallest increment of this slot above the floor's.
      this.seq = Math.max(0, Math.floor((floor.i - this.slot - 1) / this.slots) + 1);
      if (this.sec > floor.t) this.seq = 0;
    }
    return this.current();
  }

  override now(): Timestamp {
    if (this.seq < 0) return this.tick();
    const own = this.current();
    return this.floor !== undefined && compareTimestamps(this.floor, own) > 0 ? this.floor : own;
  }

  override advanceTo(ts: Timestamp): void {
    if (this.floor === undefined || compareTimestamps(ts, this.floor) > 0) this.floor = ts;
  }
}

/** A shard's data node: a DataNode whose clock is a ShardClock. */
export class ShardNode extends DataNode {
  constructor(oplogEntries: number, slot: number, slots: number) {
    super(oplogEntries);
    (this as { clock: LogicalClock }).clock = new ShardClock(slot, slots);
  }
}

/**
 * One in-process shard: its data node, and the periodic no-op writer that moves an idle shard's oplog
 * (MongoDB's `periodicNoopIntervalSecs`: a no-op when nothing was written since the last tick).
 */
export class Shard {
  readonly node: ShardNode;
  /** Set when the shard also listens on its own port (direct connections, like a shard's mongod). */
  server: WireServer | undefined;
  private noopTimer: NodeJS.Timeout | undefined;
  private noopMs = 0;
  noops = 0;

  constructor(readonly index: number, readonly name: string, shardCount: number, oplogEntries: number) {
    this.node = new ShardNode(oplogEntries, index, shardCount);
  }

  get noopIntervalMs(): number {
    return this.noopMs;
  }

  /** (Re)starts the no-op writer; 0 stops it. */
  setNoopInterval(ms: number): void {
    if (this.noopTimer) clearInterval(this.noopTimer);
    this.noopTimer = undefined;
    this.noopMs = ms;
    if (ms <= 0) return;
    let seen = this.node.oplog.end;
    this.noopTimer = setInterval(() => {
      if (this.node.oplog.end === seen) {
        this.node.noop();
        this.noops++;
      }
      seen = this.node.oplog.end;
    }, ms);
    this.noopTimer.unref();
  }

  async stop(): Promise<void> {
    this.setNoopInterval(0);
    await this.server?.close();
  }
}
