import { Errors, type Command } from '@oclif/core';
import { UserError } from './errors.js';

/**
 * For a command's `catch`: `return super.catch(toOclifError(this, err))`.
 * A UserError is shown as ONE `Error: <message>` line on stderr, without a stack, and the command exits
 * with its code (written directly: oclif's own printer wraps long messages onto several lines). With
 * `--json` it becomes oclif's JSON error object. Anything else is a bug and goes through unchanged.
 */
export function toOclifError<E extends Error>(cmd: Command, err: E): E | Errors.CLIError {
  if (!(err instanceof UserError)) return err;
  if (cmd.jsonEnabled()) return Object.assign(new Errors.CLIError(err.message, { exit: err.exitCode }), { exitCode: err.exitCode });
  process.stderr.write(`Error: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
  return cmd.exit(err.exitCode);
}
