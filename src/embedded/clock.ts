import { Timestamp } from 'bson';

/**
 * The cluster clock of one node: a (seconds, increment) Timestamp that every write advances,
 * so each oplog entry has a distinct, totally ordered time, as in a real replica set.
 */
export class LogicalClock {
  private seconds = 0;
  private increment = 0;

  /** Reserve the next cluster time for a write (or a no-op). */
  tick(): Timestamp {
    const now = Math.floor(Date.now() / 1000);
    if (now > this.seconds) {
      this.seconds = now;
      this.increment = 1;
    } else {
      this.increment += 1;
    }
    return new Timestamp({ t: this.seconds, i: this.increment });
  }

  /** The time of the last write; never zero, so readers always get a valid operationTime. */
  now(): Timestamp {
    if (this.seconds === 0) return this.tick();
    return new Timestamp({ t: this.seconds, i: this.increment });
  }

  /** Move forward to at least `ts` (gossiped cluster time); never backwards. */
  advanceTo(ts: Timestamp): void {
    if (compareTimestamps(ts, this.now()) > 0) {
      this.seconds = ts.t;
      this.increment = ts.i;
    }
  }
}

export function compareTimestamps(a: Timestamp, b: Timestamp): number {
  return a.t !== b.t ? a.t - b.t : a.i - b.i;
}
