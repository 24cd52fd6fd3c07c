import type { Mode } from './unified/target.js';

/**
 * Spec tests the embedded server cannot pass yet, by `folder/file`, then test description, with the reason.
 * A reason prefixed `sharded: ` holds only in sharded mode. The node:test files mark them `todo` (reported,
 * not failing the run); the summary lists them.
 * Keep this list short and honest: an entry is a known gap in the server, never a way to hide a regression.
 */
export const KNOWN_FAILURES: Record<string, Record<string, string>> = {};

export function knownFailure(folder: string, file: string, test: string, mode: Mode): string | undefined {
  const reason = KNOWN_FAILURES[`${folder}/${file}`]?.[test];
  if (reason === undefined) return undefined;
  if (reason.startsWith('sharded: ')) return mode === 'sharded' ? reason.slice('sharded: '.length) : undefined;
  return reason;
}
