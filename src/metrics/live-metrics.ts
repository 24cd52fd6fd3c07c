/**
 * Live figures of a running command as Prometheus metrics (prom-client): counters of events and writes,
 * the send lag, end-to-end latency as a summary (quantiles from an HdrHistogram, added second by second),
 * the current stagger and the change stream's oplog window. The command feeds it; `/metrics` reads it.
 */
import client from 'prom-client';
import { addEncoded, createLatencyMicros, decodeHistogram, mergeInto, type Histogram } from '../measure/histograms.js';

const QUANTILES = [0.5, 0.9, 0.99, 0.999];

export interface WriteCounts {
  sent: number;
  acknowledged: number;
  failed: number;
}

export class LiveMetrics {
  /** Prometheus text format 0.0.4 */
  readonly registry = new client.Registry();
  /** OpenMetrics text 1.0 (asked for by `Accept: application/openmetrics-text`) */
  readonly openMetrics = new client.Registry<typeof client.openMetricsContentType>();
  private readonly events: client.Counter;
  private readonly writes: Record<keyof WriteCounts, client.Counter>;
  private readonly sendLag: client.Gauge;
  private readonly stagger: client.Gauge;
  private readonly oplogWindow: client.Gauge;
  private readonly latency: Histogram = createLatencyMicros();
  private readonly seen = { events: 0, sent: 0, acknowledged: 0, failed: 0 };
  private oplogWindowSource: (() => Promise<number | undefined>) | undefined;

  constructor() {
    this.openMetrics.setContentType(client.openMetricsContentType);
    const registers = [this.registry, this.openMetrics];
    this.events = new client.Counter({ name: 'ticker_change_events_received_total', help: 'Change events received (of the measured window, every listener)', registers });
    this.writes = {
      sent: new client.Counter({ name: 'ticker_writes_sent_total', help: 'Writes sent (of the measured window)', registers }),
      acknowledged: new client.Counter({ name: 'ticker_writes_acknowledged_total', help: 'Writes acknowledged by the server', registers }),
      failed: new client.Counter({ name: 'ticker_writes_failed_total', help: 'Writes the server refused or that failed', registers }),
    };
    this.sendLag = new client.Gauge({ name: 'ticker_send_lag_seconds', help: 'How far the writers are behind their schedule now', registers });
    this.stagger = new client.Gauge({
      name: 'ticker_stagger_seconds',
      help: 'Seconds since committed writes were last released to the change stream (0 while events keep up)',
      registers,
    });
    const metrics = this;
    this.oplogWindow = new client.Gauge({
      name: 'ticker_oplog_window_seconds',
      help: 'Seconds of oplog behind the change stream resume token: how long the oplog may roll before a resume fails with ChangeStreamHistoryLost',
      registers,
      async collect() {
        const seconds = await metrics.oplogWindowSource?.().catch(() => undefined);
        if (seconds === undefined) this.reset();
        else this.set(seconds);
      },
    });
    const latency = this.latency;
    const summary = {
      name: 'ticker_end_to_end_latency_seconds',
      help: 'Change event receipt minus the intended write time (coordinated-omission corrected)',
      type: 'summary',
      aggregator: 'sum',
      get: async () => ({
        name: summary.name,
        help: summary.help,
        type: 'summary',
        aggregator: 'sum',
        values: [
          ...QUANTILES.map((q) => ({ labels: { quantile: q }, value: latency.totalCount === 0 ? Number.NaN : latency.getValueAtPercentile(q * 100) / 1e6 })),
          { metricName: `${summary.name}_sum`, labels: {}, value: (latency.mean * latency.totalCount) / 1e6 },
          { metricName: `${summary.name}_count`, labels: {}, value: latency.totalCount },
        ],
      }),
    };
    for (const r of registers) r.registerMetric(summary as unknown as client.Metric);
  }

  /** Running totals (they only grow; the counters take the difference). */
  setEvents(total: number): void {
    this.grow('events', this.events, total);
  }

  setWrites(counts: WriteCounts): void {
    for (const key of ['sent', 'acknowledged', 'failed'] as const) this.grow(key, this.writes[key], counts[key]);
  }

  setSendLag(ms: number): void {
    this.sendLag.set(Math.max(0, ms) / 1000);
  }

  setStagger(seconds: number): void {
    this.stagger.set(Math.max(0, seconds));
  }

  /** Adds encoded latency histograms (microseconds) into the summary. */
  addLatency(encoded: readonly string[]): void {
    if (encoded.length === 0) return;
    const h = decodeHistogram(addEncoded(encoded));
    mergeInto(this.latency, h);
    h.destroy();
  }

  /** Replaces the summary's counts with these (the run's final histogram, so the last scrape matches the report). */
  replaceLatency(encoded: string): void {
    this.latency.reset();
    this.addLatency([encoded]);
  }

  /** Records one latency (microseconds), for the commands that see events one by one. */
  recordLatency(micros: number): void {
    this.latency.recordValue(Math.min(Math.max(Math.round(micros), 0), this.latency.highestTrackableValue));
  }

  /** Read at each scrape. */
  setOplogWindowSource(source: () => Promise<number | undefined>): void {
    this.oplogWindowSource = source;
  }

  private grow(key: keyof typeof this.seen, counter: client.Counter, total: number): void {
    if (total > this.seen[key]) {
      counter.inc(total - this.seen[key]);
      this.seen[key] = total;
    }
  }
}
