/** A failure the user caused or can fix: shown as one line on stderr, no stack trace, non-zero exit. */
export class UserError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'UserError';
  }
}
