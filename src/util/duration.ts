/**
 * Durations on the command line: `500ms`, `10s`, `5m`, `1h`, decimals (`1.5s`) and compounds (`1m30s`).
 *
 * A bare number (`10`) is rejected on purpose: `--duration 10` could mean seconds or milliseconds, and a
 * benchmark that silently runs 1000 times shorter than intended is worse than one clear error.
 */

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;

const EXAMPLES = 'use a number with a unit, e.g. 500ms, 10s, 5m, 1h or 1m30s';
const PART = /(\d+(?:\.\d+)?|\.\d+)(ms|s|m|h)/y;

/** Parses a duration into milliseconds (>= 0). Throws an Error with a one-line message on bad input. */
export function parseDuration(text: string): number {
  const input = text.trim().toLowerCase();
  if (input === '') throw new Error(`empty duration: ${EXAMPLES}`);
  if (input.startsWith('-')) throw new Error(`duration "${text}" is negative: ${EXAMPLES}`);
  if (/^\d+(\.\d+)?$/.test(input)) throw new Error(`duration "${text}" has no unit: ${EXAMPLES}`);

  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < input.length) {
    const match = PART.exec(input);
    if (!match) throw new Error(`invalid duration "${text}": ${EXAMPLES}`);
    total += Number(match[1]) * UNIT_MS[match[2] as Unit];
  }
  if (!Number.isFinite(total)) throw new Error(`duration "${text}" is too large`);
  return total;
}

/**
 * Formats milliseconds for people, in a form `parseDuration` reads back: `250ms`, `1.5s`, `5m`, `1m30s`,
 * `2h5m`. Sub-second values keep up to 3 decimals; seconds keep up to 1 decimal.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1_000) return `${trimNumber(ms, 3)}ms`;
  if (ms < 60_000) return `${trimNumber(ms / 1_000, 1)}s`;

  const totalSeconds = Math.round(ms / 1_000);
  const hours = Math.floor(totalSeconds / 3_600);
  const minutes = Math.floor((totalSeconds % 3_600) / 60);
  const seconds = totalSeconds % 60;
  const parts: string[] = [];
  if (hours > 0) parts.push(`${hours}h`);
  if (minutes > 0) parts.push(`${minutes}m`);
  if (seconds > 0 && hours === 0) parts.push(`${seconds}s`);
  return parts.join('') || '0s';
}

function trimNumber(value: number, decimals: number): string {
  return String(Number(value.toFixed(decimals)));
}
