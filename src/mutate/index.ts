export { runOpenLoop, type IssueOp, type ScheduledOp, type SchedulerOptions, type SchedulerStats } from './scheduler.js';
export { epochNow, hybridTimer, type Timer } from './timer.js';
export {
  createMix, formatMix, OP_KINDS, ORIGINAL_MIX, parseMix, randomBulkSymbol, roundOf,
  type MixGenerator, type MixGeneratorOptions, type MixOp, type MixSpec, type OpKind, type Tick,
} from './mix.js';
export { runMutator, type CountsByKind, type MutatorOptions, type MutatorProgress, type MutatorSummary, type WriteEvent } from './mutator.js';
export { detectLayout } from './key-space.js';
export { LagStats, type LagSummary } from './lag-stats.js';
