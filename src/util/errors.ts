/** A failure the user caused or can fix: shown as one line on stderr, no stack trace, non-zero exit. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}

/** Runs `parse`, turning what it throws into a UserError with the same message (for input checks). */
export function asUserError<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    throw new UserError((err as Error).message);
  }
}
