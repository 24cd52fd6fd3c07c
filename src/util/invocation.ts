import { relative } from 'node:path';
import { redactUri } from '../connect/uri.js';

/**
 * How the user started ticker, so a hint says a command line they can paste: oclif's `config.bin`
 * (`ticker`) after a global install, `npx ticker` under npx, `./bin/run.js` from a checkout; command ids
 * with oclif's topic separator (`bench latency`). TickerCommand.init tells this module the config.
 */
let bin = 'ticker';
let topicSeparator = ' ';

export function setInvocation(config: { bin: string; topicSeparator?: string }): void {
  bin = config.bin;
  topicSeparator = config.topicSeparator ?? ':';
}

export function invokedAs(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
  const script = argv[1];
  if (env.npm_command === 'exec') return `npx ${bin}`;
  if (script === undefined || !/(^|[/\\])bin[/\\]run\.js$/.test(script)) return bin;
  const path = relative(process.cwd(), script);
  if (path.startsWith('..') || path === '') return bin;
  return path.includes('/') && !path.startsWith('.') ? `./${path}` : path;
}

/** "`ticker clean`", as the user would type it here (`subcommand`: a command id and its arguments). */
export function commandHint(subcommand: string): string {
  const [id = '', ...rest] = subcommand.split(' ');
  return `\`${[invokedAs(), id.replaceAll(':', topicSeparator), ...rest].join(' ')}\``;
}

export interface TargetFlags {
  uri?: string;
  db?: string;
  collection?: string;
}

/**
 * "`ticker mutate --db x`" pointed at the same target as this command: the --db/--collection that differ
 * from the defaults, and the --uri when it was given on the command line (from MONGODB_URI it applies by
 * itself). A URI with a password is never printed: the hint then says "with the same --uri".
 */
export function sameTargetHint(id: string, flags: TargetFlags, defaults: { db: string; collection: string }, argv: readonly string[] = process.argv): string {
  const parts = [id];
  if (flags.db !== undefined && flags.db !== defaults.db) parts.push(`--db ${shellWord(flags.db)}`);
  if (flags.collection !== undefined && flags.collection !== defaults.collection) parts.push(`--collection ${shellWord(flags.collection)}`);
  const uriGiven = flags.uri !== undefined && argv.some((a) => a === '--uri' || a.startsWith('--uri='));
  let tail = '';
  if (uriGiven) {
    if (redactUri(flags.uri!) === flags.uri) parts.push(`--uri ${shellWord(flags.uri!)}`);
    else tail = ' with the same --uri';
  }
  return `${commandHint(parts.join(' '))}${tail}`;
}

function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replaceAll("'", `'\\''`)}'`;
}
