/** What `trace`/`display` (a watcher) and `mutate` (the mutator) feed into the live metrics. */
import type { MongoClient } from 'mongodb';
import type { MutatorProgress } from '../mutate/mutator.js';
import { epochNow } from '../mutate/timer.js';
import type { Watcher, WatchEvent } from '../watch/watcher.js';
import type { LiveMetrics } from './live-metrics.js';
import { oplogWindowSeconds } from './oplog-window.js';

const TICK_MS = 500;

/**
 * Counts the watcher's change events, records receipt − intended send time of stamped writes, and keeps
 * the stagger gauge at how long the server has held the stream's events back (the watcher's hold-back,
 * src/measure/staggers.ts; 0 when not held). Returns a stop function.
 */
export function feedFromWatcher(metrics: LiveMetrics, watcher: Watcher, client: MongoClient): () => void {
  let events = 0;
  const unsubscribe = watcher.subscribe((event: WatchEvent) => {
    if (event.kind !== 'change') return;
    events++;
    metrics.setEvents(events);
    if (event.tick) metrics.recordLatency((event.at - event.tick.at) * 1000);
  });
  metrics.setOplogWindowSource(() => oplogWindowSeconds(client, watcher.resumeToken()));
  const timer = setInterval(() => metrics.setStagger(watcher.heldBackMs(epochNow()) / 1000), TICK_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    unsubscribe();
  };
}

/** The mutator's running totals: sent, acknowledged, failed, and how far behind its plan it is. */
export function feedFromMutator(metrics: LiveMetrics, p: MutatorProgress): void {
  const failed = Object.values(p.errorsByKind).reduce((a, b) => a + (b ?? 0), 0);
  metrics.setWrites({ sent: p.issued, acknowledged: Math.max(0, p.issued - p.inFlight - failed), failed });
  metrics.setSendLag(p.behindMs);
}
