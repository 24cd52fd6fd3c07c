import { Command, Flags } from '@oclif/core';
import { connectionErrorMessage, oneLine } from '../connect/errors.js';
import { redactSecrets } from '../connect/uri.js';
import { COLLECTION, DATABASE } from '../load/dataset.js';
import { colours } from './colour.js';
import { UserError } from './errors.js';
import { uriFlag } from './flags.js';

/** Where the data lives; shared by every command that talks to a server. */
export const connectionFlags = {
  uri: uriFlag(),
  db: Flags.string({ description: 'database name', default: DATABASE }),
  collection: Flags.string({ description: 'collection name', default: COLLECTION }),
};

type CommandError = Error & { exitCode?: number; oclif?: { exit?: number } };

/**
 * The base of every ticker command. Its `catch` shows user errors, connection failures and bad flags as
 * ONE line on stderr without a stack trace, and exits non-zero; passwords are hidden in every message.
 * Anything else is a bug: oclif shows it with its stack (redacted too).
 */
export abstract class TickerCommand extends Command {
  protected override async catch(error: CommandError): Promise<unknown> {
    const line = userFacingLine(error);
    if (line === undefined) {
      error.message = redactSecrets(error.message ?? '');
      if (error.stack) error.stack = redactSecrets(error.stack);
      return super.catch(error);
    }
    const exitCode = exitCodeOf(error);
    if (this.jsonEnabled()) return super.catch(Object.assign(new UserError(line, exitCode), { exitCode }));

    // Written directly: oclif's own error printer wraps long messages onto several lines.
    process.stderr.write(`${colours(process.stderr).red('Error:')} ${line}\n`);
    return this.exit(exitCode);
  }
}

/** The one line to show for an error a user can fix, or undefined when it is a bug. */
export function userFacingLine(error: unknown): string | undefined {
  if (error instanceof UserError) return oneLine(error.message);
  const connection = connectionErrorMessage(error);
  if (connection !== undefined) return oneLine(connection);
  if (isFlagParseError(error)) return flagParseLine((error as Error).message);
  return undefined;
}

function exitCodeOf(error: CommandError): number {
  if (error instanceof UserError) return error.exitCode;
  if (isFlagParseError(error)) return error.oclif?.exit ?? 2; // usage error, as oclif's own parse errors
  return error.oclif?.exit ?? error.exitCode ?? 1;
}

/**
 * oclif's parse errors: its own (unknown flag, missing argument) carry a `parse` field; a custom flag's
 * parser error comes back as a plain Error whose message oclif rewrote to "Parsing --flag ..."; a flag
 * given last without its value is a plain CLIError "Flag --flag expects a value".
 */
function isFlagParseError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return ('parse' in error && 'oclif' in error) || /^Parsing --\S+\s|^Flag --\S+ expects a value$/.test(error.message);
}

/** "Parsing --rate \n\tmessage\nSee more help with --help" → "--rate: message (see --help)". */
export function flagParseLine(message: string): string {
  const withoutHint = message.replace(/\s*See more help with --help\s*$/, '');
  const parsing = /^Parsing (--\S+)\s+([\s\S]*)$/.exec(withoutHint);
  const body = parsing ? `${parsing[1]}: ${parsing[2]}` : withoutHint;
  return `${oneLine(body)} (see --help)`;
}
