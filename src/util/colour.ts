import picocolors from 'picocolors';
import type { Colors } from 'picocolors/types.js';

export type { Colors };

type Stream = { isTTY?: boolean };

/**
 * Colour only when a person is looking: on a TTY, never with `NO_COLOR` (https://no-color.org: any
 * non-empty value), `FORCE_COLOR` forces it on (or off with `0`/`false`) for CI logs. `TERM=dumb` means no.
 */
export function colourEnabled(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/** picocolors formatters that are no-ops when colour is off for this stream. */
export function colours(stream: Stream, env: NodeJS.ProcessEnv = process.env): Colors {
  return picocolors.createColors(colourEnabled(stream, env));
}
