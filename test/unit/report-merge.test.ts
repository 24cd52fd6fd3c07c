import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLatencyMicros, recordMicros, summarize } from '../../src/measure/histograms.js';
import { compareReports } from '../../src/report/compare.js';
import { mergeReports } from '../../src/report/merge.js';
import { parseReport } from '../../src/report/model.js';
import { UserError } from '../../src/util/errors.js';
import { makeReport, values } from './latency-report-fixture.js';

test('mergeReports adds histograms, counts, audits, staggers and timelines', () => {
  const a = makeReport({ endToEnd: values(30, 1000), gapsMs: [400] });
  const b = makeReport({ endToEnd: values(20, 1000, 500_000), gapsMs: [900, 300], lost: 2 });
  const merged = mergeReports([a, b], ['a.json', 'b.json']);

  const all = createLatencyMicros();
  for (const v of [...values(30, 1000), ...values(20, 1000, 500_000)]) recordMicros(all, v);
  assert.deepEqual(merged.histograms.endToEnd!.summary, summarize(all));
  assert.equal(merged.histograms.endToEnd!.summary.count, 50);

  assert.equal(merged.rate.writes, 50);
  assert.deepEqual(
    { expected: merged.audit.expected, received: merged.audit.received, lost: merged.audit.lost },
    { expected: 50, received: 48, lost: 2 },
  );
  assert.equal(merged.ok, false);
  assert.deepEqual(merged.audit.perListener!.map((l) => l.listener), ['a.json:0', 'b.json:0']);

  assert.equal(merged.staggers.count, 3);
  assert.equal(merged.staggers.histogram.summary.count, 3);
  assert.deepEqual(merged.staggers.worst.map((s) => s.gapMs), [900, 400, 300]);

  // seconds 0 and 1 exist in both; percentiles come from the added per-second histograms
  assert.deepEqual(merged.timeline.map((t) => t.events), [20, 20, 10]);
  assert.equal(merged.timeline[0]!.maxUs, summarize(createAndFill([...values(10, 1000), ...values(10, 1000, 500_000)])).max);

  assert.deepEqual(merged.config.sources, ['a.json', 'b.json']);
  assert.equal(merged.target.sources!.length, 2);
  assert.doesNotThrow(() => parseReport(JSON.parse(JSON.stringify(merged)), 'merged.json'));
});

function createAndFill(vs: number[]) {
  const h = createLatencyMicros();
  for (const v of vs) recordMicros(h, v);
  return h;
}

test('compareReports gives base, new, delta and ratio per histogram and statistic', () => {
  const base = makeReport({ endToEnd: values(100, 1000) });
  const next = makeReport({ endToEnd: values(100, 2000) });
  const rows = compareReports(base, next);
  const p99 = rows.find((r) => r.histogram === 'endToEnd' && r.percentile === 'p99')!;
  assert.equal(p99.new - p99.base, p99.delta);
  assert.ok(Math.abs(p99.ratio! - 2) < 0.01);
  assert.deepEqual([...new Set(rows.map((r) => r.histogram))], ['endToEnd', 'writeAck', 'rate', 'staggers', 'audit']);
});

test('parseReport rejects what is not a report with one line naming the file', () => {
  const good = JSON.parse(JSON.stringify(makeReport({ endToEnd: values(5) })));
  const cases: Array<[unknown, RegExp]> = [
    [null, /^reports\/x\.json is not a ticker latency report \(not a JSON object\)$/],
    [{ hello: 1 }, /^reports\/x\.json is not a ticker latency report \(format is missing\)$/],
    [{ ...good, histograms: undefined }, /^reports\/x\.json is not a valid ticker latency report: histograms: missing \(expected record\)$/],
    [{ ...good, histograms: { endToEnd: { unit: 'us' } } }, /: histograms\.endToEnd\.encoded: missing \(expected string\)$/],
    [{ ...good, histograms: {} }, /: histograms: no histograms$/],
    [{ ...good, audit: { ...good.audit, lost: -5 } }, /: audit\.lost: expected a number of 0 or more$/],
    [{ ...good, ok: !good.ok }, /: ok: does not match the audit/],
    [{ ...good, rate: { ...good.rate, writes: 'many' } }, /: rate\.writes: expected number, received string$/],
    [{ ...good, timeline: [{ second: 0 }] }, /: timeline\[0\]\.events: missing \(expected number\)$/],
    [{ ...good, startedAt: 'yesterday' }, /: startedAt: /],
    [{ ...good, version: 2 }, /^reports\/x\.json is a ticker latency report version 2; this ticker reads version 1$/],
  ];
  for (const [json, message] of cases) {
    assert.throws(() => parseReport(json, 'reports/x.json'), (err: unknown) => {
      assert.ok(err instanceof UserError);
      assert.match(err.message, message);
      assert.ok(!err.message.includes('\n'));
      return true;
    });
  }
  assert.equal(parseReport(good, 'ok.json').histograms.endToEnd!.summary.count, 5);
});
