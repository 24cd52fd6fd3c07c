import type { Hook } from '@oclif/core';
import { toConfiguredId } from '@oclif/core';
// @ts-expect-error -- fast-levenshtein ships no types; get(a, b) returns the edit distance.
import levenshtein from 'fast-levenshtein';

/**
 * "Did you mean" where @oclif/plugin-not-found cannot ask: without a terminal on stdin it skips its
 * prompt and names no command, so a mistyped command in a script or CI log said only "not a command".
 * This hook runs first and adds the nearest command's name; the plugin then says the rest and exits 127.
 */
const hook: Hook.CommandNotFound = async function (options) {
  if (process.stdin.isTTY) return; // the plugin asks "Did you mean ...?" itself
  const visible = options.config.commands.filter((c) => !c.hidden).flatMap((c) => [c.id, ...c.aliases]);
  const distance = (id: string): number => (levenshtein as { get: (a: string, b: string) => number }).get(options.id, id);
  const nearest = visible.sort((a, b) => distance(a) - distance(b))[0];
  if (nearest === undefined || distance(nearest) > Math.max(2, nearest.length / 2)) return;
  process.stderr.write(`did you mean ${options.config.bin} ${toConfiguredId(nearest, options.config)}?\n`);
};

export default hook;
