import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { breaches, evaluateThresholds, parseThreshold, parseThresholds } from '../../src/measure/thresholds.js';
import { HISTOGRAM_NAMES } from '../../src/report/model.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderHtml } from '../../src/report/html.js';
import { makeReport, values } from './latency-report-fixture.js';

const parse = (t: string) => parseThreshold(t, HISTOGRAM_NAMES);

describe('thresholds', () => {
  // endToEnd: 1..100 ms, one stagger of 600 ms, 2 of 100 lost
  const report = makeReport({ endToEnd: values(100), gapsMs: [600], lost: 2 });

  it('reads percentiles (p99.9 too), max, mean and counts of any histogram in the units written', () => {
    const results = evaluateThresholds(
      parseThresholds(['endToEnd.p50<=50.1ms', 'endToEnd.p99.9<100ms', 'endToEnd.max>=0.1s', 'writeAck.mean<20ms', 'endToEnd.count==100'], HISTOGRAM_NAMES),
      report,
    );
    assert.deepEqual(results.map((r) => r.pass), [true, false, true, false, true]);
    assert.ok(Math.abs(results[0]!.measured! - 50_000) < 60, `p50 ${results[0]!.measured}`);
    assert.equal(results[4]!.measured, 100);
  });

  it('reads staggers, the rate (per second or a share of the requested) and the audit', () => {
    const results = evaluateThresholds(
      parseThresholds(['staggers.count==0', 'staggers.max<1.5s', 'rate.achieved>=99%', 'rate.achieved>9/s', 'lost==0', 'audit.duplicated==0'], HISTOGRAM_NAMES),
      report,
    );
    assert.deepEqual(results.map((r) => r.pass), [false, true, false, true, false, true]);
    assert.equal(results[2]!.measured, 95); // 9.5 of 10 requested
    assert.equal(results[4]!.measured, 2);
    assert.deepEqual(breaches(results).map((r) => r.expression), ['staggers.count==0', 'rate.achieved>=99%', 'lost==0']);
  });

  it('an empty histogram measures nothing, and that fails rather than passing vacuously', () => {
    const empty = makeReport({ endToEnd: [] });
    const [r] = evaluateThresholds([parse('endToEnd.p99<50ms')], empty);
    assert.equal(r!.measured, null);
    assert.equal(r!.pass, false);
    // but a run with no stagger has a longest stagger of zero
    assert.equal(evaluateThresholds([parse('staggers.max<1s')], empty)[0]!.pass, true);
  });

  it('refuses, in one line naming the problem, what does not parse or names nothing', () => {
    const cases: [string, RegExp][] = [
      ['endToEnd.p99', /no comparison/],
      ['endToEnd.p99<', /no value after </],
      ['endToEnd.p99=>5ms', /unknown comparison/],
      ['latency.p99<50ms', /names nothing: "latency" is not one of endToEnd, .*staggers, rate, lost/],
      ['endToEnd.p101<50ms', /percentile 101 is not between 0 and 100/],
      ['endToEnd.median<50ms', /endToEnd has no "median"/],
      ['endToEnd.p99<50', /needs a unit/],
      ['endToEnd.p99<50parsecs', /unknown unit "parsecs"/],
      ['lost==0ms', /lost is a count/],
      ['rate.speed>5', /rate has no "speed"/],
      ['staggers.count<many', /"many" is not a number/],
    ];
    for (const [text, pattern] of cases) {
      assert.throws(() => parse(text), (e: Error) => pattern.test(e.message) && !e.message.includes('\n'), text);
    }
  });

  it('the Markdown and HTML show each threshold with its measured value, and the badge passes only when all do', () => {
    const passing = makeReport({ endToEnd: values(100) });
    passing.thresholds = evaluateThresholds([parse('endToEnd.p99<1s')], passing);
    assert.match(renderHtml(passing), /class="verdict ok">PASSED/);
    const failing = makeReport({ endToEnd: values(100) });
    failing.thresholds = evaluateThresholds([parse('endToEnd.p99<1s'), parse('endToEnd.p50<1us')], failing);
    const md = renderMarkdown(failing);
    assert.match(md, /\*\*FAILED: 1 threshold breached\*\*/);
    assert.match(md, /\| endToEnd\.p50<1us \| 50\.0ms \| FAIL \|/);
    assert.match(md, /\| endToEnd\.p99<1s \| 99\.\dms \| pass \|/);
    assert.match(renderHtml(failing), /class="verdict failed">FAILED: 1 threshold breached/);
    // no thresholds, clean audit: not called a pass
    assert.match(renderHtml(makeReport({ endToEnd: values(10) })), /class="verdict neutral">AUDIT OK \(no thresholds set\)/);
  });
});
