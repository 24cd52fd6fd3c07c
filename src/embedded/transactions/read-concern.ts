import type { Document, Timestamp } from 'bson';
import { compareTimestamps } from '../clock.js';
import { CommandError, ErrorCode } from '../errors.js';

const LEVELS = new Set(['local', 'majority', 'linearizable', 'available', 'snapshot']);
/** Commands that take `readConcern: { level: 'snapshot' }` outside a transaction (MongoDB 5.0+). */
export const SNAPSHOT_READ_COMMANDS = new Set(['find', 'aggregate', 'distinct']);

export interface ReadConcern {
  level?: string;
  atClusterTime?: Timestamp;
  afterClusterTime?: Timestamp;
}

const invalid = (message: string) => new CommandError(ErrorCode.InvalidOptions, message);

/** The command's readConcern, checked as mongod's ReadConcernArgs parses it; undefined when absent. */
export function parseReadConcern(cmd: Document): ReadConcern | undefined {
  const rc = cmd.readConcern;
  if (rc === undefined) return undefined;
  if (rc === null || typeof rc !== 'object' || Array.isArray(rc)) throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'readConcern' is the wrong type, expected type 'object'");
  const out: ReadConcern = {};
  if (rc.level !== undefined) {
    if (typeof rc.level !== 'string' || !LEVELS.has(rc.level)) throw new CommandError(ErrorCode.FailedToParse, `${JSON.stringify(rc.level)} is not a valid read concern level`);
    out.level = rc.level;
  }
  for (const field of ['atClusterTime', 'afterClusterTime'] as const) {
    const value = rc[field];
    if (value === undefined) continue;
    if ((value as { _bsontype?: string })?._bsontype !== 'Timestamp') throw new CommandError(ErrorCode.TypeMismatch, `BSON field 'readConcern.${field}' is the wrong type, expected type 'timestamp'`);
    out[field] = value as Timestamp;
  }
  if (out.atClusterTime && out.afterClusterTime) throw invalid('Can not specify both afterClusterTime and atClusterTime');
  if (out.atClusterTime && out.level !== 'snapshot') throw invalid('atClusterTime must be used with snapshot read concern');
  if (out.atClusterTime && out.atClusterTime.t === 0 && out.atClusterTime.i === 0) throw invalid('readConcern atClusterTime cannot be a null timestamp');
  return out;
}

/** The time a snapshot read (or a transaction) reads at: atClusterTime if given and not in the future, else now. */
export function snapshotReadTime(rc: ReadConcern, now: Timestamp): Timestamp {
  const target = rc.atClusterTime;
  if (!target) return now;
  if (compareTimestamps(target, now) > 0) {
    throw invalid(`readConcern atClusterTime value must not be greater than the current clusterTime. Requested clusterTime: ${show(target)}; current clusterTime: ${show(now)}`);
  }
  return target;
}

const show = (ts: Timestamp) => `{ ts: Timestamp(${ts.t}, ${ts.i}) }`;
