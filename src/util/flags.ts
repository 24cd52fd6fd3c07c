import { Flags } from '@oclif/core';
import { parseThreshold, type Threshold } from '../measure/thresholds.js';
import { HISTOGRAM_NAMES } from '../report/model.js';
import { formatDuration, parseDuration } from './duration.js';

/**
 * Custom oclif flags. Each parser throws an Error whose message is one line; `TickerCommand.catch`
 * folds oclif's "Parsing --flag" wrapper into that same line.
 */

/** The longest delay a Node.js timer takes (~24.8 days); a longer one fires at once, with a warning. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** `--duration 10s` → 10000 (ms). Zero is refused unless the flag says `allowZero` (e.g. a warm-up). */
export const durationFlag = Flags.custom<number, { allowZero?: boolean }>({
  helpValue: '<duration>',
  parse: async (input, _context, options) => {
    const ms = parseDuration(input);
    if (ms === 0 && !options.allowZero) throw new Error(`expected a duration above zero, got "${input}"`);
    if (ms > MAX_TIMER_MS) throw new Error(`expected at most ${formatDuration(MAX_TIMER_MS - (MAX_TIMER_MS % 3_600_000))} (about 24 days), got "${input}"`);
    return ms;
  },
});

/** Parses a whole number > 0 (`1000`, `1_000`, `1e3`). */
export function parsePositiveInt(input: string): number {
  const text = input.trim().replaceAll('_', '');
  const value = /^\+?\d+(\.\d+)?(e\+?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`expected a whole number above zero, got "${input}"`);
  }
  return value;
}

/** Parses operations per second: any number > 0 (`16`, `0.5`, `10000`). */
export function parseRate(input: string): number {
  const text = input.trim().replaceAll('_', '');
  const value = /^\+?(\d+(\.\d*)?|\.\d+)(e\+?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value) || value <= 0) {
    throw new Error(`expected a rate in operations per second above zero, got "${input}"`);
  }
  return value;
}

export const positiveIntFlag = Flags.custom<number>({
  helpValue: '<n>',
  parse: async (input) => parsePositiveInt(input),
});

export const rateFlag = Flags.custom<number>({
  helpValue: '<ops/s>',
  parse: async (input) => parseRate(input),
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
