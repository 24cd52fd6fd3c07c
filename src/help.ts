import { Help, type Interfaces } from '@oclif/core';

/**
 * oclif's help, with each command's summary shown once (at the top), not again above its description.
 * A class rather than `helpOptions` because `ticker help <command>` (@oclif/plugin-help) passes no options.
 */
export default class TickerHelp extends Help {
  constructor(config: Interfaces.Config, options: Partial<Interfaces.HelpOptions> = {}) {
    super(config, { ...options, hideCommandSummaryInDescription: true });
  }
}
