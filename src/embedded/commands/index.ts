import { aggregateCommands } from './aggregate.js';
import { catalogCommands } from './catalog.js';
import type { CommandTable } from './context.js';
import { crudCommands } from './crud.js';
import { explainCommands } from './explain.js';
import { helloCommands } from './hello.js';
import { statsCommands } from './stats.js';
import { transactionCommands } from '../transactions/commands.js';

/** Every command a replica-set member answers, by name (names are case-sensitive, as in mongod). */
export const mongodCommands: CommandTable = {
  ...helloCommands,
  ...crudCommands,
  ...explainCommands,
  ...aggregateCommands,
  ...catalogCommands,
  ...statsCommands,
  ...transactionCommands,
  configureFailPoint: (cmd, ctx) => {
    if (ctx.db !== 'admin') return { ok: 0, errmsg: 'configureFailPoint may only be run against the admin database.', code: 13, codeName: 'Unauthorized' };
    return ctx.failPoints.configure(cmd);
  },
};
