/** `--metrics-port` / `--metrics-host`, shared by bench latency, mutate, trace and display. */
import { Flags } from '@oclif/core';
import { LiveMetrics } from './live-metrics.js';
import { startMetricsServer, type MetricsServer } from './server.js';

export const metricsFlags = {
  'metrics-port': Flags.integer({ helpValue: '<port>',
    description: 'serve live Prometheus/OpenMetrics metrics on http://<metrics-host>:<port>/metrics (0: any free port)',
    min: 0,
    max: 65535,
  }),
  'metrics-host': Flags.string({ helpValue: '<address>', description: 'address the metrics endpoint binds (0.0.0.0 for a Prometheus elsewhere)', default: '127.0.0.1' }),
};

export interface CommandMetrics {
  metrics: LiveMetrics;
  server: MetricsServer;
}

/** Starts the endpoint when `--metrics-port` was given; the caller closes `server` when done. */
export async function startCommandMetrics(flags: { 'metrics-port'?: number; 'metrics-host'?: string }): Promise<CommandMetrics | undefined> {
  if (flags['metrics-port'] === undefined) return undefined;
  const metrics = new LiveMetrics();
  const server = await startMetricsServer(metrics, flags['metrics-port'], flags['metrics-host']);
  return { metrics, server };
}
