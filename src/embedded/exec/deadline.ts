import { CommandError } from '../errors.js';

/** mongod's MaxTimeMSExpired. */
export const MAX_TIME_MS_EXPIRED = 50;
/** How long one slice of a long operation may hold the event loop before it yields. */
export const SLICE_MS = 4;
/** Items processed between two looks at the clock (a look costs ~50 ns; a document ~1 µs). */
export const CHECK_EVERY = 64;

const expired = () => new CommandError(MAX_TIME_MS_EXPIRED, 'operation exceeded time limit');
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * What a long operation checks between slices: the command's maxTimeMS and its client going away. Every
 * loop over many documents calls `tick()` per item (cheap) and `await`s `pause()` when it returns true;
 * the pause lets other connections be served, and throws MaxTimeMSExpired (50) once the time is up.
 */
export class Deadline {
  private sliceStart = performance.now();
  private count = 0;

  constructor(
    /** performance.now() at which the operation must end; Infinity when it has no maxTimeMS. */
    readonly expiresAt: number = Infinity,
    readonly closed?: AbortSignal,
  ) {}

  static after(maxTimeMS: number | undefined, closed?: AbortSignal): Deadline {
    return new Deadline(maxTimeMS ? performance.now() + maxTimeMS : Infinity, closed);
  }

  /** Throws MaxTimeMSExpired when the time is up (or Interrupted when the client is gone). */
  check(): void {
    if (this.closed?.aborted) throw new CommandError(11601, 'operation was interrupted because a client disconnected');
    if (performance.now() >= this.expiresAt) throw expired();
  }

  /** True when the current slice has run long enough that the caller should `await pause()`. */
  tick(): boolean {
    if (++this.count < CHECK_EVERY) return false;
    this.count = 0;
    const now = performance.now();
    if (now >= this.expiresAt) throw expired();
    return now - this.sliceStart >= SLICE_MS;
  }

  /** Yields to the event loop, then checks the time and the connection. */
  async pause(): Promise<void> {
    await yieldToEventLoop();
    this.sliceStart = performance.now();
    this.check();
  }

  /** `pause()` when this slice is used up; for loops that do much work per item (looks at the clock every call). */
  async step(): Promise<void> {
    const now = performance.now();
    if (now >= this.expiresAt) throw expired();
    if (now - this.sliceStart >= SLICE_MS) await this.pause();
  }

  /** Milliseconds left, for waits that must end at the deadline (Infinity without maxTimeMS). */
  remainingMs(): number {
    return this.expiresAt - performance.now();
  }
}

/** No limit: for internal callers and commands that carry no maxTimeMS. */
export const unlimited = () => new Deadline();

const INT32_MAX = 2 ** 31 - 1;

/** BSON type names as mongod prints them in "is the wrong type" errors. */
export function bsonTypeName(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'number') return Number.isInteger(value) && Math.abs(value) <= INT32_MAX ? 'int' : 'double';
  if (value instanceof Date) return 'date';
  const bsontype = (value as { _bsontype?: string })._bsontype;
  const names: Record<string, string> = { Long: 'long', Double: 'double', Int32: 'int', Decimal128: 'decimal', ObjectId: 'objectId', Binary: 'binData', Timestamp: 'timestamp', BSONRegExp: 'regex', MinKey: 'minKey', MaxKey: 'maxKey', Code: 'javascript', BSONSymbol: 'symbol' };
  if (bsontype) return names[bsontype] ?? bsontype.toLowerCase();
  return 'object';
}

/**
 * The command's maxTimeMS as mongod parses it (0 or absent: no limit). Non-numbers are TypeMismatch (14),
 * null BadValue, negatives Location51024, fractions and values beyond int32 BadValue, with mongod's texts.
 */
export function parseMaxTimeMS(cmd: Record<string, unknown>, commandName: string): number {
  const raw = cmd.maxTimeMS;
  if (raw === undefined) return 0;
  if (raw === null) throw new CommandError(2, 'maxTimeMS must be a number');
  const isNumeric = typeof raw === 'number' || ['Long', 'Double', 'Int32', 'Decimal128'].includes((raw as { _bsontype?: string })?._bsontype ?? '');
  // aggregate parses maxTimeMS with its IDL (typed, `gte: 0`); other commands with the generic parser.
  const idl = commandName === 'aggregate';
  if (!isNumeric) {
    if (!idl) throw new CommandError(2, 'maxTimeMS must be a number');
    throw new CommandError(14, `BSON field '${commandName}.maxTimeMS' is the wrong type '${bsonTypeName(raw)}', expected types '[long, int, decimal, double']`);
  }
  const value = Number(raw);
  if (value < 0) {
    if (!idl) throw new CommandError(2, `${Math.trunc(value)} value for maxTimeMS is out of range [-2147483648, 2147483647]`);
    throw new CommandError(51024, `BSON field 'maxTimeMS' value must be >= 0, actual value '${Math.trunc(value)}'`, [], { codeName: 'Location51024' });
  }
  if (!Number.isInteger(value)) throw new CommandError(2, 'maxTimeMS has non-integral value');
  if (value > INT32_MAX) throw new CommandError(2, `${value} value for maxTimeMS is out of range [-2147483648, 2147483647]`);
  return value;
}
