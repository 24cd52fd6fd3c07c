import type { Mode } from './unified/target.js';

/**
 * Spec tests the embedded server cannot pass yet, by `folder/file` (or `folder/*`), then test description
 * (or `*`: every test of the file), with the reason. A reason prefixed `sharded: ` (`replicaset: `) holds
 * only in that mode. The node:test files mark them `todo` (reported, not failing the run); the summary lists them.
 * Keep this list short and honest: an entry is a known gap in the server, never a way to hide a regression.
 */
export const KNOWN_FAILURES: Record<string, Record<string, string>> = {
  'transactions/run-command.json': { "run command with secondary read preference in client option and primary read preference in transaction options": "replicaset: the client's readPreference secondary is used to select a server on connect; the embedded replica set has one member, no secondary" },
  'transactions/transaction-options.json': { "readPreference inherited from client": "replicaset: the client's readPreference secondary is used to select a server on connect; the embedded replica set has one member, no secondary" },
};

/** Whether this very test is listed (not only its file): a listed test that passes should come off the list. */
export function listedByName(folder: string, file: string, test: string): boolean {
  return KNOWN_FAILURES[`${folder}/${file}`]?.[test] !== undefined;
}

export function knownFailure(folder: string, file: string, test: string, mode: Mode): string | undefined {
  const entries = KNOWN_FAILURES[`${folder}/${file}`] ?? KNOWN_FAILURES[`${folder}/*`];
  const reason = entries?.[test] ?? entries?.['*'];
  if (reason === undefined) return undefined;
  for (const only of ['sharded', 'replicaset'] as const) {
    if (reason.startsWith(`${only}: `)) return mode === only ? reason.slice(only.length + 2) : undefined;
  }
  return reason;
}
