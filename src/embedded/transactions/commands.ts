import type { Document } from 'bson';
import type { CommandContext, CommandTable } from '../commands/context.js';
import { CommandError, ErrorCode } from '../errors.js';

function transactionOf(ctx: CommandContext, name: string) {
  if (ctx.db !== 'admin') throw new CommandError(ErrorCode.Unauthorized, `${name} may only be run against the admin database.`);
  if (!ctx.transaction || !ctx.sessions) throw new CommandError(ErrorCode.InvalidOptions, `${name} must be run within a transaction`);
  return { transaction: ctx.transaction, sessions: ctx.sessions };
}

const lsidsOf = (value: unknown): Document[] => (Array.isArray(value) ? value.filter((v) => v && typeof v === 'object') : []);

/** commitTransaction / abortTransaction and the session commands that end transactions. */
export const transactionCommands: CommandTable = {
  commitTransaction: (cmd, ctx) => {
    const { transaction, sessions } = transactionOf(ctx, 'commitTransaction');
    // A retried commit of a committed transaction succeeds again without doing anything.
    if (transaction.state === 'inProgress') sessions.commit(transaction);
    // One data-bearing member: the commit is applied, but more than one acknowledgement cannot be had.
    const w = cmd.writeConcern?.w;
    if (typeof w === 'number' && w > 1) {
      return { writeConcernError: { code: 100, codeName: 'UnsatisfiableWriteConcern', errmsg: 'Not enough data-bearing nodes' }, ok: 1 };
    }
    return { ok: 1 };
  },
  abortTransaction: (_cmd, ctx) => {
    const { transaction, sessions } = transactionOf(ctx, 'abortTransaction');
    sessions.abort(transaction);
    return { ok: 1 };
  },
  endSessions: (cmd, ctx) => {
    ctx.sessions?.endSessions(lsidsOf(cmd.endSessions));
    return { ok: 1 };
  },
  killSessions: (cmd, ctx) => {
    ctx.sessions?.endSessions(lsidsOf(cmd.killSessions));
    return { ok: 1 };
  },
  killAllSessions: (_cmd, ctx) => {
    ctx.sessions?.killAll();
    return { ok: 1 };
  },
};
