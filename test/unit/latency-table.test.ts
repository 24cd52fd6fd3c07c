import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistogramSummary } from '../../src/measure/histograms.js';
import type { StaggerSummary } from '../../src/report/model.js';
import {
  renderAuditLine,
  renderComparison,
  renderPercentileTable,
  renderRateLine,
  renderStaggers,
} from '../../src/render/latency-table.js';

// A saved result: plain summaries as a report stores them (microseconds).
const summary = (p50: number, p90: number, p99: number, p999: number, max: number, mean: number, count: number): HistogramSummary => ({
  count, min: 1, mean, stddev: 1, p50, p90, p99, p999, max, distribution: [],
});
const histograms = {
  endToEnd: { summary: summary(2380, 3771, 893_000, 1_431_000, 1_493_000, 27_512.3, 120_000) },
  writeAck: { summary: summary(902, 1411, 2043, 2689, 4235, 958.1, 120_000) },
};
const staggers: StaggerSummary = {
  thresholdMs: 250,
  count: 2,
  histogram: { unit: 'us', encoded: '', summary: summary(820_000, 1_480_000, 1_480_000, 1_480_000, 1_480_000, 1, 2) },
  worst: [
    { startMs: 41_050, gapMs: 1480, burst: 1480, listener: '0', shard: 'shard02' },
    { startMs: 17_200, gapMs: 820, burst: 820 },
  ],
};
const plain = { colour: false };

test('percentile table: one row per histogram, milliseconds with about three significant digits', () => {
  assert.equal(
    renderPercentileTable(histograms, plain),
    [
      '┌──────────────┬───────┬──────┬──────┬───────┬──────┬───────┬─────────┐',
      '│ latency (ms) │   p50 │  p90 │  p99 │ p99.9 │  max │  mean │   count │',
      '├──────────────┼───────┼──────┼──────┼───────┼──────┼───────┼─────────┤',
      '│ endToEnd     │  2.38 │ 3.77 │  893 │  1431 │ 1493 │  27.5 │ 120,000 │',
      '│ writeAck     │ 0.902 │ 1.41 │ 2.04 │  2.69 │ 4.24 │ 0.958 │ 120,000 │',
      '└──────────────┴───────┴──────┴──────┴───────┴──────┴───────┴─────────┘',
    ].join('\n'),
  );
});

test('rate, audit and staggers lines', () => {
  assert.equal(
    renderRateLine({ requested: 2000, achieved: 1500.4, maxBehindMs: 300, writes: 120_000, writeErrors: 3 }, plain),
    'rate: 2,000/s requested, 1,500/s achieved (75.0%), 120,000 writes, 3 write errors, fell behind at most 300 ms',
  );
  assert.equal(
    renderAuditLine({ expected: 120_000, received: 119_998, lost: 2, duplicated: 0 }, plain),
    'audit: 120,000 expected, 119,998 received, 2 lost, 0 duplicated — EVENTS LOST OR DUPLICATED',
  );
  assert.equal(
    renderAuditLine({ expected: 5, received: 5, lost: 0, duplicated: 0 }, plain),
    'audit: 5 expected, 5 received, 0 lost, 0 duplicated — OK',
  );
  assert.equal(
    renderStaggers(staggers, plain),
    [
      'staggers: 2 gaps over 250 ms, longest 1480 ms, p99 1480 ms',
      '┌────────┬──────────┬───────┬──────────┬─────────┐',
      '│ at (s) │ gap (ms) │ burst │ listener │ shard   │',
      '├────────┼──────────┼───────┼──────────┼─────────┤',
      '│  41.05 │     1480 │ 1,480 │ 0        │ shard02 │',
      '│  17.20 │      820 │   820 │          │         │',
      '└────────┴──────────┴───────┴──────────┴─────────┘',
    ].join('\n'),
  );
  assert.equal(renderStaggers({ ...staggers, count: 0, worst: [] }, plain), 'staggers: none over 250 ms');
});

test('comparison table: each figure with its verdict and why', () => {
  const rows = [
    { histogram: 'endToEnd', percentile: 'p99' as const, unit: 'us' as const, base: 893_000, new: 1_200_000, delta: 307_000, ratio: 1_200_000 / 893_000, verdict: 'worse' as const, why: '+34% and the intervals are apart' },
    { histogram: 'endToEnd', percentile: 'p999' as const, unit: 'us' as const, base: 0, new: 5, delta: 5, ratio: null, verdict: 'within noise' as const, why: 'from 0 but the intervals overlap' },
    { histogram: 'rate', percentile: 'achieved' as const, unit: 'percent' as const, base: 99.5, new: 99.9, delta: 0.4, ratio: 99.9 / 99.5, verdict: 'within noise' as const, why: '+0.4% is within the 10% margin', step: { variable: 'rate' as const, value: 1000 } },
    { histogram: 'audit', percentile: 'lost' as const, unit: 'count' as const, base: 0, new: 2, delta: 2, ratio: null, verdict: 'worse' as const, why: 'an audit has no noise' },
  ];
  assert.equal(
    renderComparison(rows, plain),
    [
      '┌───────────────────────────────┬───────┬─────────┬──────────┬───────┬─────────────────────────────────────────────────┐',
      '│ figure                        │  base │     new │    delta │ ratio │ verdict                                         │',
      '├───────────────────────────────┼───────┼─────────┼──────────┼───────┼─────────────────────────────────────────────────┤',
      '│ endToEnd.p99                  │ 893ms │  1200ms │   +307ms │ 1.34× │ worse (+34% and the intervals are apart)        │',
      '│ endToEnd.p99.9                │   0ms │ 0.005ms │ +0.005ms │     — │ within noise (from 0 but the intervals overlap) │',
      '│ 1,000 writes/s: rate.achieved │ 99.5% │   99.9% │ +0.4 pts │ 1.00× │ within noise (+0.4% is within the 10% margin)   │',
      '│ lost                          │     0 │       2 │       +2 │     — │ worse (an audit has no noise)                   │',
      '└───────────────────────────────┴───────┴─────────┴──────────┴───────┴─────────────────────────────────────────────────┘',
    ].join('\n'),
  );
});

test('colour only when asked for', () => {
  const ansi = /\x1b\[/;
  assert.doesNotMatch(renderPercentileTable(histograms, plain), ansi);
  assert.match(renderPercentileTable(histograms, { colour: true }), ansi);
  assert.match(renderAuditLine({ expected: 1, received: 0, lost: 1, duplicated: 0 }, { colour: true }), ansi);
});
