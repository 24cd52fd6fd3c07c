import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { latencyOverTimeChart, rateOverTimeChart } from '../../src/report/report-charts.js';
import type { LatencyReport } from '../../src/report/model.js';
import { makeReport, values } from './latency-report-fixture.js';

/** 30 events over 3 s, plus the empty second after the window that a run's timeline ends with. */
function run(): LatencyReport {
  const r = makeReport({ endToEnd: values(30), gapsMs: [400] });
  r.timeline.push({ second: 3, events: 0, p50us: 0, p99us: 0, maxUs: 0, writes: 0 });
  r.timeline.forEach((b) => {
    b.writes ??= 10;
    b.acked ??= 9;
  });
  return r;
}

describe('report plots: what a performance engineer reads', () => {
  it('the x axis is the measured window: seconds at their middle, 0 to the end, no fall to zero after it', () => {
    const chart = latencyOverTimeChart([{ name: 'run', report: run() }]);
    assert.deepEqual(chart.xRange, [0, 3]);
    assert.deepEqual(chart.data[0], [0.5, 1.5, 2.5]);
    const rate = rateOverTimeChart([{ name: 'run', report: run() }]);
    assert.deepEqual(rate.data[2], [10, 10, 10], 'writes intended per second, without the empty second after the window');
    assert.deepEqual([rate.series[2]!.label, rate.data[3]], ['writes acknowledged in the second', [9, 9, 9]], 'and achieved: acknowledged per second');
  });

  it('staggers are shaded where they are and only there; threshold lines are drawn', () => {
    const report = run();
    report.thresholds = [{ expression: 'endToEnd.p99<50ms', metric: 'endToEnd.p99', operator: '<', limit: 50_000, unit: 'us', measured: 29_000, pass: true }];
    const chart = latencyOverTimeChart([{ name: 'run', report }]);
    assert.deepEqual(chart.bands!.map((b) => [b.from, b.to]), [[1, 1.4]]);
    assert.deepEqual(chart.lines, [{ value: 50, label: 'endToEnd.p99<50ms', colour: '#e03131' }]);
    const calm = latencyOverTimeChart([{ name: 'run', report: makeReport({ endToEnd: values(30) }) }]);
    assert.deepEqual(calm.bands, []);
    assert.match(calm.title, /no staggers/);
  });

  it('a stepped run: each step on the sweep axis with its own requested rate, a mark where it begins, gaps between', () => {
    const report = run();
    const step = (value: number, offsetMs: number) => ({ value, requestedRate: value, achievedRate: value, listeners: 1, events: 10, p50us: 0, p99us: 0, p999us: 0, maxUs: 0, staggers: 0, lost: 0, duplicated: 0, errors: 0, thresholds: [], pass: true, startedAt: report.startedAt, durationMs: 1000, offsetMs });
    report.timeline = [{ second: 0, events: 10, p50us: 1, p99us: 2, maxUs: 3, writes: 10 }, { second: 2, events: 50, p50us: 1, p99us: 2, maxUs: 3, writes: 50 }];
    report.steps = { variable: 'rate', values: [10, 50], stepDurationMs: 1000, warmupMs: 500, rows: [step(10, 0), step(50, 1700)] };
    const rate = rateOverTimeChart([{ name: 'run', report }]);
    assert.deepEqual(rate.data[1], [10, null, 50], 'requested per step; nothing in the warm-up between');
    assert.deepEqual(rate.marks, [{ x: 0, label: '10.0 writes/s' }, { x: 2, label: '50.0 writes/s' }]);
    assert.deepEqual(rate.xRange, [0, 3]);
  });
});
