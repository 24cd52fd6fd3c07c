export { defaultWorkers, DEFAULT_BATCH_SIZE, runLoad, slices, type LoadOptions, type LoadSummary } from './loader.js';
export { prepareShardedCollection, type ShardingOptions, type ShardingResult } from './sharding.js';
