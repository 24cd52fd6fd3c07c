import { Flags } from '@oclif/core';
import { DEFAULT_STAGGER_THRESHOLD_MS } from '../measure/staggers.js';
import { parseThreshold, type Threshold } from '../measure/thresholds.js';
import { HISTOGRAM_NAMES } from '../report/model.js';
import { BOUNDS, describeBound, MAX_DURATION_MS, type Bound } from './bounds.js';
import { formatDuration, parseDuration } from './duration.js';
import { checkCollectionName, checkDatabaseName, isReservedDatabase, RESERVED_DATABASES } from './names.js';

/**
 * Custom oclif flags. Each parser throws an Error whose message is one line; `TickerCommand.catch`
 * folds oclif's "Parsing --flag" wrapper into that same line. Every number has a bound (`bounds.ts`):
 * a value above it is refused with the bound and why, before anything connects.
 */

export { MAX_DURATION_MS };

type DurationOptions = { allowZero?: boolean; max?: Bound };

/** `--duration 10s` → 10000 (ms). Zero is refused unless the flag says `allowZero` (e.g. a warm-up). */
const durationFlagBase = Flags.custom<number, DurationOptions>({
  helpValue: '<duration>',
  parse: async (input, _context, options) => {
    const ms = parseDuration(input);
    if (ms === 0 && !options.allowZero) throw new Error(`expected a duration above zero, got "${input}"`);
    const bound = options.max ?? BOUNDS.duration;
    if (ms > bound.max) throw new Error(`got "${input}"; ${describeBound(bound, formatDuration)}`);
    return ms;
  },
});

/** A duration flag whose default shows in --help as people type it (`10s`, not `10000`). */
export const durationFlag: typeof durationFlagBase = ((options: { default?: unknown; defaultHelp?: unknown } = {}) => {
  const fallback = options.default;
  // `0s`, as people type zero, rather than formatDuration's `0ms`.
  const help = typeof fallback === 'number' && options.defaultHelp === undefined ? { defaultHelp: async () => (fallback === 0 ? '0s' : formatDuration(fallback)) } : {};
  return durationFlagBase({ ...(options as object), ...help } as never);
}) as typeof durationFlagBase;

/** Parses a whole number > 0 (`1000`, `1_000`, `1e3`) up to `bound`. */
export function parsePositiveInt(input: string, bound?: Bound): number {
  const text = input.trim().replaceAll('_', '');
  const value = /^\+?\d+(\.\d+)?(e\+?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
  // 1e400 reads as Infinity: above any bound, so it gets the bound's message.
  if (Number.isNaN(value) || value <= 0 || (Number.isFinite(value) && !Number.isInteger(value))) {
    throw new Error(`expected a whole number above zero, got "${input}"`);
  }
  if (bound && value > bound.max) throw new Error(`got "${input}"; ${describeBound(bound)}`);
  if (!Number.isSafeInteger(value)) throw new Error(`expected a whole number above zero, got "${input}"`);
  return value;
}

/** Parses operations per second: any number > 0 (`16`, `0.5`, `10000`) up to `bound`. */
export function parseRate(input: string, bound: Bound = BOUNDS.rate): number {
  const text = input.trim().replaceAll('_', '');
  const value = /^\+?(\d+(\.\d*)?|\.\d+)(e\+?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`expected a rate in operations per second above zero, got "${input}"`);
  }
  if (value > bound.max) throw new Error(`got "${input}"; ${describeBound(bound)}`);
  return value;
}

/** A whole number above zero, at most `bound.max`; --help says the bound. */
export const positiveIntFlag = Flags.custom<number, { bound: Bound }>({
  helpValue: '<n>',
  parse: async (input, _context, options) => parsePositiveInt(input, options.bound),
});

/** Operations per second, at most one thread's worth unless the command checks a larger total. */
export const rateFlag = Flags.custom<number, { bound?: Bound }>({
  helpValue: '<ops/s>',
  parse: async (input, _context, options) => parseRate(input, options.bound),
});

/** A stepped run's values: at most this many (one measured step each). */
export const MAX_LIST_VALUES = { max: 50, why: '(steps; at 10 s each that is over 8 minutes of measurement already)' };

/**
 * `100,1000,5000` → [100, 1000, 5000]: each value parsed as the single flag would be, at most
 * MAX_LIST_VALUES of them and no value twice (a repeated step measures nothing new and would share its tags).
 */
export function parseList(input: string, parseOne: (text: string) => number): number[] {
  const parts = input.split(',').map((p) => p.trim());
  if (parts.some((p) => p === '')) throw new Error(`expected values separated by commas, got "${input}"`);
  if (parts.length > MAX_LIST_VALUES.max) throw new Error(`got ${parts.length} values; ${describeBound(MAX_LIST_VALUES)}`);
  const values = parts.map((p) => {
    try {
      return parseOne(p);
    } catch (err) {
      throw new Error(`${(err as Error).message}${parts.length > 1 ? ` (in "${input}")` : ''}`);
    }
  });
  const twice = values.find((v, i) => values.indexOf(v) !== i);
  if (twice !== undefined) throw new Error(`${twice} is given twice in "${input}"`);
  return values;
}

/** Whole numbers above zero, one or a comma-separated list (`--listeners 1,15,105`). */
export const positiveIntListFlag = Flags.custom<number[], { bound: Bound }>({
  helpValue: '<n>[,<n>...]',
  parse: async (input, _context, options) => parseList(input, (p) => parsePositiveInt(p, options.bound)),
});

/** Rates, one or a comma-separated list (`--rates 100,1000,5000`). */
export const rateListFlag = Flags.custom<number[], { bound?: Bound }>({
  helpValue: '<ops/s>,<ops/s>...',
  parse: async (input, _context, options) => parseList(input, (p) => parseRate(p, options.bound)),
});

/** A whole number from 0 to `bound.max` (seeds). */
export const wholeNumberFlag = Flags.custom<number, { bound: Bound }>({
  helpValue: '<n>',
  parse: async (input, _context, options) => {
    const text = input.trim();
    if (!/^\d+$/.test(text)) throw new Error(`expected a whole number from 0, got "${input}"`);
    const value = Number(text);
    if (value > options.bound.max) throw new Error(`got "${input}"; ${describeBound(options.bound)}`);
    return value;
  },
});

/** A TCP port; 0 asks the system for a free one. */
export const portFlag = Flags.custom<number>({
  helpValue: '<port>',
  parse: async (input) => {
    const text = input.trim();
    const value = /^\d+$/.test(text) ? Number(text) : Number.NaN;
    if (!(value >= 0 && value <= 65_535)) throw new Error(`expected a TCP port from 0 to 65535 (0 picks a free one), got "${input}"`);
    return value;
  },
});

/**
 * A database name mongod accepts and not one of its own (admin, local, config): ticker loads, watches and
 * drops user data only, and mongod opens no change stream on those. Checked before anything connects.
 */
export const databaseFlag = Flags.custom<string>({
  helpValue: '<name>',
  parse: async (input) => {
    if (isReservedDatabase(input)) {
      throw new Error(`"${input}" is one of MongoDB's own databases (${RESERVED_DATABASES.join(', ')}): ticker never loads, watches or drops it; choose another`);
    }
    return checkDatabaseName(input);
  },
});

/** A user collection name mongod accepts (not system.*): checked before anything connects. */
export const collectionFlag = Flags.custom<string>({
  helpValue: '<name>',
  parse: async (input) => checkCollectionName(input),
});

/** The connection string; falls back to `MONGODB_URI`. Only the scheme is checked here: the driver checks the rest. */
export const uriFlag = Flags.custom<string>({
  env: 'MONGODB_URI',
  helpValue: '<mongodb-uri>',
  description: 'connection string (default: $MONGODB_URI, else mongodb://127.0.0.1:27017)',
  parse: async (input) => {
    const uri = input.trim();
    // Never echo the value back: it may hold a password.
    if (!/^mongodb(\+srv)?:\/\//i.test(uri)) throw new Error('expected a connection string starting with mongodb:// or mongodb+srv://');
    return uri;
  },
});

/**
 * `--threshold 'endToEnd.p99<50ms'` (repeatable): checked when the flags are parsed, before any run, so a
 * typo is one line now and not a breach after ten minutes.
 */
export const thresholdFlag = Flags.custom<Threshold>({
  helpValue: '<metric<limit>',
  multiple: true,
  parse: async (input) => parseThreshold(input, HISTOGRAM_NAMES),
});

/**
 * `--stagger-threshold`: the one threshold of the one stagger definition (src/measure/staggers.ts), the
 * same name, default and units on `trace`, `display`, `demo` and `bench`.
 */
export function staggerThresholdFlag() {
  return durationFlag({
    description: 'a gap longer than this in which committed events were held back is a stagger',
    default: DEFAULT_STAGGER_THRESHOLD_MS,
  });
}
