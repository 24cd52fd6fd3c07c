import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareReports, figureName, regressions, verdictRule, type ComparisonRow } from '../../src/report/compare.js';
import { renderCompareHtml } from '../../src/report/compare-html.js';
import type { LatencyReport } from '../../src/report/model.js';
import { makeReport, values } from './latency-report-fixture.js';

const verdictOf = (rows: ComparisonRow[], figure: string) => rows.find((r) => figureName(r) === figure)!.verdict;

describe('report compare: a verdict per figure', () => {
  it('a run against itself is within noise everywhere', () => {
    const r = makeReport({ endToEnd: values(2000, 10) });
    const rows = compareReports(r, r);
    assert.ok(rows.length > 10);
    assert.deepEqual([...new Set(rows.map((x) => x.verdict))], ['within noise']);
  });

  it('twice the latency on many values is worse; half is better (intervals apart, beyond the margin)', () => {
    const base = makeReport({ endToEnd: values(2000, 10) });
    const slower = makeReport({ endToEnd: values(2000, 20) });
    const worse = compareReports(base, slower);
    for (const f of ['endToEnd.p50', 'endToEnd.p99', 'endToEnd.p99.9', 'endToEnd.mean', 'endToEnd.max']) assert.equal(verdictOf(worse, f), 'worse', f);
    const p99 = worse.find((r) => figureName(r) === 'endToEnd.p99')!;
    assert.ok(p99.newInterval![0] > p99.baseInterval![1], 'the intervals are apart');
    assert.match(p99.why, /^\+100% and the intervals are apart$/);
    assert.equal(verdictOf(compareReports(slower, base), 'endToEnd.p99'), 'better');
  });

  it('a move beyond the margin is within noise when the counts are too few to tell (intervals overlap)', () => {
    // ten values each: the p50 interval spans most of the distribution
    const rows = compareReports(makeReport({ endToEnd: values(10, 1000) }), makeReport({ endToEnd: values(10, 1300) }));
    const p50 = rows.find((r) => figureName(r) === 'endToEnd.p50')!;
    assert.equal(p50.verdict, 'within noise');
    assert.match(p50.why, /^\+30% but the intervals overlap$/);
  });

  it('a move within the margin is within noise however many values, and --margin changes that', () => {
    const base = makeReport({ endToEnd: values(20_000, 10) });
    const next = makeReport({ endToEnd: values(20_000, 10.6) });
    assert.equal(verdictOf(compareReports(base, next), 'endToEnd.p50'), 'within noise');
    assert.equal(verdictOf(compareReports(base, next, { margin: 0.02 }), 'endToEnd.p50'), 'worse');
  });

  it('an event lost is worse (no noise in an audit); staggers must differ beyond Poisson noise', () => {
    const base = makeReport({ endToEnd: values(100), gapsMs: [300] });
    const lost = makeReport({ endToEnd: values(100), lost: 1, gapsMs: [300, 400] });
    const rows = compareReports(base, lost);
    assert.equal(verdictOf(rows, 'lost'), 'worse');
    assert.equal(verdictOf(rows, 'staggers.count'), 'within noise', '1 → 2 staggers is within 1.96·√3');
    const many = makeReport({ endToEnd: values(100), gapsMs: Array.from({ length: 20 }, (_, i) => 300 + i) });
    assert.equal(verdictOf(compareReports(base, many), 'staggers.count'), 'worse');
    assert.deepEqual(regressions(rows).map(figureName), ['lost']);
  });

  it('stepped runs over the same variable are also compared step by step', () => {
    const stepped = (scale: number): LatencyReport => {
      const r = makeReport({ endToEnd: values(2000, scale) });
      const row = (value: number, s: number) => {
        const h = makeReport({ endToEnd: values(2000, s) }).histograms;
        return { value, requestedRate: value, achievedRate: value, listeners: 1, events: 2000, p50us: 0, p99us: 0, p999us: 0, maxUs: 0, staggers: 0, lost: 0, duplicated: 0, errors: 0, thresholds: [], pass: true, startedAt: r.startedAt, durationMs: 1000, histograms: h };
      };
      return { ...r, steps: { variable: 'rate', values: [100, 1000], stepDurationMs: 1000, warmupMs: 0, rows: [row(100, 10), row(1000, scale)] } };
    };
    const rows = compareReports(stepped(10), stepped(30));
    assert.equal(verdictOf(rows, '100 writes/s: endToEnd.p99'), 'within noise');
    assert.equal(verdictOf(rows, '1,000 writes/s: endToEnd.p99'), 'worse');
    const html = renderCompareHtml({ base: { name: 'a', report: stepped(10) }, next: { name: 'b', report: stepped(30) }, differences: [], rows, rule: verdictRule() });
    assert.match(html, /tickerChart\(\{"id":"steps".*"label":"base achieved \/s".*"label":"new p99 ms"/);
  });

  it('the page holds both runs overlaid, the verdicts and the rule', () => {
    const base = makeReport({ endToEnd: values(2000, 10) });
    const next = makeReport({ endToEnd: values(2000, 20) });
    const rows = compareReports(base, next);
    const html = renderCompareHtml({ base: { name: 'a.json', report: base }, next: { name: 'b.json', report: next }, differences: ['rate 10 → 20'], rows, rule: verdictRule() });
    assert.match(html, /"label":"base endToEnd"/);
    assert.match(html, /"label":"new endToEnd","colour":"#1971c2","dash":\[8,4\]/);
    assert.match(html, /<td class="worse">worse<\/td>/);
    assert.match(html, /The runs differ in:<\/b> rate 10 → 20/);
    assert.match(html, /binomial order statistics/);
  });
});
