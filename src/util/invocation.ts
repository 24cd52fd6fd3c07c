import { relative } from 'node:path';

/**
 * How the user started ticker, so a hint says a command line they can paste: `ticker clean` after a
 * global install, `npx ticker clean` under npx, `./bin/run.js clean` from a checkout.
 */
export function invokedAs(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): string {
  const script = argv[1];
  if (env.npm_command === 'exec') return 'npx ticker';
  if (script === undefined || !/(^|[/\\])bin[/\\]run\.js$/.test(script)) return 'ticker';
  const path = relative(process.cwd(), script);
  if (path.startsWith('..') || path === '') return 'ticker';
  return path.includes('/') && !path.startsWith('.') ? `./${path}` : path;
}

/** "`ticker clean`", as the user would type it here. */
export function commandHint(subcommand: string): string {
  return `\`${invokedAs()} ${subcommand}\``;
}
