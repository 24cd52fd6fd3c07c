import { Command, type Interfaces } from '@oclif/core';
import { connectionErrorMessage, oneLine } from '../connect/errors.js';
import { redactSecrets } from '../connect/uri.js';
import { COLLECTION, DATABASE } from '../load/dataset.js';
import { colours } from './colour.js';
import { UserError } from './errors.js';
import { collectionFlag, databaseFlag, uriFlag } from './flags.js';
import { setInvocation } from './invocation.js';
import { checkNamespace } from './names.js';

/** Where the data lives; shared by every command that talks to a server. */
export const connectionFlags = {
  uri: uriFlag(),
  db: databaseFlag({ description: 'database name', default: DATABASE }),
  collection: collectionFlag({ description: 'collection name', default: COLLECTION }),
};

type Output = { [name: string]: any }; // eslint-disable-line @typescript-eslint/no-explicit-any -- oclif's FlagOutput
type CommandError = Error & { exitCode?: number; oclif?: { exit?: number } };

export type StopSignal = 'SIGINT' | 'SIGTERM';
/** 128 + the signal's number, as a shell reports a program stopped by it. */
export const SIGNAL_EXIT_CODES: Record<StopSignal, number> = { SIGINT: 130, SIGTERM: 143 };

/** Thrown by `TickerCommand.interruptible` when a signal arrives while the command waits. */
export class Interrupted extends Error {
  constructor(readonly signal: StopSignal, readonly while_: string) {
    super(`interrupted (${signal}) while ${while_}`);
    this.name = 'Interrupted';
  }
}

/**
 * The base of every ticker command.
 *
 * Errors: its `catch` shows user errors, connection failures and bad flags as ONE line on stderr without a
 * stack trace, and exits non-zero; passwords are hidden in every message. Anything else is a bug: oclif
 * shows it with its stack (redacted too).
 *
 * Signals mean one thing in every command: the first SIGINT/SIGTERM aborts `this.stopSignal`; the command
 * stops what it does, prints its usual summary and returns; the process then exits 130 (SIGINT) or 143
 * (SIGTERM). A wait that cannot be cut short by the signal itself (connecting, checks) goes through
 * `interruptible`. A second signal ends the process at once, except while `writing` (no half-written file).
 */
export abstract class TickerCommand extends Command {
  private readonly stopping = new AbortController();
  private stoppedByValue: StopSignal | undefined;
  private writers = 0;
  private exitAfterWrite = false;
  private readonly onSignal = (signal: StopSignal): void => {
    if (this.stoppedByValue === undefined) {
      this.stoppedByValue = signal;
      this.stopping.abort(signal);
      return;
    }
    if (this.writers > 0) this.exitAfterWrite = true;
    else process.exit(SIGNAL_EXIT_CODES[this.stoppedByValue]);
  };

  /** Aborted by the first SIGINT or SIGTERM. */
  protected get stopSignal(): AbortSignal {
    return this.stopping.signal;
  }

  /** Resolves with the name of the first SIGINT/SIGTERM (for a command that runs until one comes). */
  protected stopped(): Promise<StopSignal> {
    const signal = this.stopping.signal;
    return new Promise((resolve) => {
      if (signal.aborted) resolve(this.stoppedByValue!);
      else signal.addEventListener('abort', () => resolve(this.stoppedByValue!), { once: true });
    });
  }

  /** The signal that asked this command to stop, if one did. */
  protected get stoppedBy(): StopSignal | undefined {
    return this.stoppedByValue;
  }

  public override async init(): Promise<void> {
    await super.init();
    setInvocation(this.config);
    // bin/run.js's handlers cover the time oclif loads; from here on the command answers signals.
    for (const name of ['SIGINT', 'SIGTERM'] as const) {
      for (const listener of process.listeners(name)) if ((listener as { tickerEarly?: boolean }).tickerEarly) process.off(name, listener);
    }
    process.on('SIGINT', this.onSignal);
    process.on('SIGTERM', this.onSignal);
  }

  /** Checks the namespace as a whole (each name is checked by its flag): before anything connects. */
  protected override async parse<F extends Output, B extends Output, A extends Output>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await super.parse<F, B, A>(options, argv);
    const { db, collection } = parsed.flags as { db?: unknown; collection?: unknown };
    if (typeof db === 'string' && typeof collection === 'string') {
      try {
        checkNamespace(db, collection);
      } catch (error) {
        throw new UserError((error as Error).message, 2);
      }
    }
    return parsed;
  }

  /**
   * `work`, or an `Interrupted` error as soon as a signal arrives (what `work` later yields goes to
   * `discard`, e.g. a client that connected after all). For waits that do not take a signal of their own.
   */
  protected async interruptible<T>(work: Promise<T>, while_: string, discard?: (value: T) => unknown): Promise<T> {
    const signal = this.stopping.signal;
    if (signal.aborted) {
      void work.then(discard, () => undefined);
      throw new Interrupted(this.stoppedByValue!, while_);
    }
    let onAbort!: () => void;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new Interrupted(this.stoppedByValue!, while_));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([work, aborted]);
    } catch (error) {
      if (error instanceof Interrupted) void work.then(discard, () => undefined);
      throw error;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** Runs `write` (a report, a summary file) so that a second signal waits for it to finish. */
  protected async writing<T>(write: () => Promise<T>): Promise<T> {
    this.writers++;
    try {
      return await write();
    } finally {
      this.writers--;
      if (this.writers === 0 && this.exitAfterWrite) process.exit(SIGNAL_EXIT_CODES[this.stoppedByValue!]);
    }
  }

  protected override async finally(error: Error | undefined): Promise<unknown> {
    process.off('SIGINT', this.onSignal);
    process.off('SIGTERM', this.onSignal);
    // A command stopped by a signal ran its course to a summary: the exit code says it was cut short,
    // unless the command already chose a failure code (e.g. a failed audit).
    if (this.stoppedByValue !== undefined && !error && !process.exitCode) process.exitCode = SIGNAL_EXIT_CODES[this.stoppedByValue];
    return super.finally(error);
  }

  protected override async catch(error: CommandError): Promise<unknown> {
    if (this.stoppedByValue !== undefined && (error instanceof Interrupted || !(error instanceof UserError))) {
      // Stopped before there was anything to summarise (or what was cut short failed because of it).
      const while_ = error instanceof Interrupted ? error.while_ : 'stopping';
      if (!this.jsonEnabled()) process.stderr.write(`stopped by ${this.stoppedByValue} while ${while_}\n`);
      return this.exit(SIGNAL_EXIT_CODES[this.stoppedByValue]);
    }
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
