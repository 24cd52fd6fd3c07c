#!/usr/bin/env node
import { execute } from '@oclif/core';

// Until a command takes signals over (TickerCommand.init), Ctrl-C or SIGTERM while oclif loads ends the
// process as a stopped command would: nothing has been done yet, so exit 130 (SIGINT) or 143 (SIGTERM).
const early = (signal) => process.exit(signal === 'SIGINT' ? 130 : 143);
early.tickerEarly = true;
process.on('SIGINT', early);
process.on('SIGTERM', early);

await execute({ dir: import.meta.url });
