export {
  createWatcher, priceUpdateFilter, toChangeEvent, HISTORY_LOST,
  type ChangeEvent, type Operation, type ResyncEvent, type SnapshotEvent, type Subscriber, type Tick,
  type WatchEvent, type Watcher, type WatcherOptions, type WatcherStats,
} from './watcher.js';
export { requireKnownSymbols, resolveSymbols } from './symbols.js';
export { openWatchTarget, type WatchTarget } from './open.js';
