/**
 * Spec tests the embedded server cannot pass yet, by file and test description, with the reason.
 * The node:test files mark them `todo` (reported, not failing the run); the summary lists them.
 * Keep this list short and honest: an entry is a known gap in the server, never a way to hide a regression.
 */
export const KNOWN_FAILURES: Record<string, Record<string, string>> = {};

export function knownFailure(file: string, test: string): string | undefined {
  return KNOWN_FAILURES[file]?.[test];
}
