/**
 * The `distributed` field of a merged report (bench latency --run, report collect): checked by the
 * report schema like every other field, and understood by report merge and report compare.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compareReports } from '../../src/report/compare.js';
import { mergeProblem, settingDifferences } from '../../src/report/consistency.js';
import { mergeReports } from '../../src/report/merge.js';
import { parseReport, type AgentRow, type DistributedRun, type LatencyReport } from '../../src/report/model.js';
import { makeReport, values } from './latency-report-fixture.js';

function row(agent: number, r: LatencyReport): AgentRow {
  const e = r.histograms.endToEnd!.summary;
  return {
    agent, host: `client${agent}`, rate: r.rate, listeners: 1,
    endToEnd: { count: e.count, p50us: e.p50, p99us: e.p99, maxUs: e.max },
    audit: { expected: 90, received: 90, lost: 0, duplicated: 0 }, othersEvents: 60,
    clock: { offsetMs: agent === 1 ? -3.25 : 1.5, errorMs: 0.4, clusterTimeLowMs: -900, wallTimeLowMs: -2, wallTimeHighMs: 4 },
    control: { ops: 40, opsInWindow: 3 },
  };
}

/** A three-agent run whose agent 2 died: the whole of agents 0 and 1. */
function collected(): LatencyReport {
  const report = makeReport({ endToEnd: values(60, 1000) });
  const distributed: DistributedRun = {
    run: 'nightly-1', agents: 3, leader: 0, started: [0, 1, 2], reported: [0, 1],
    missing: [{ agent: 2, reason: 'agent 0 saw it stopped beating (no heartbeat for 6 s)' }],
    perAgent: [row(0, report), row(1, report)],
    control: { opsInWindow: 6, benchmarkWrites: report.rate.writes },
  };
  report.distributed = distributed;
  report.target.notes = ['distributed run "nightly-1": 2 of 3 agents reported; latency timed by each agent on its own clock, for its own writes'];
  return JSON.parse(JSON.stringify(report)) as LatencyReport;
}

const refusal = (json: unknown): string => {
  try {
    parseReport(json, 'nightly-1.json');
  } catch (error) {
    return (error as Error).message;
  }
  return 'accepted';
};

describe('report schema: distributed', () => {
  it('a collected report validates: agents, offsets of either sign, missing agents with reasons, a row per agent', () => {
    const report = parseReport(collected(), 'nightly-1.json');
    assert.deepEqual(report.distributed!.perAgent.map((a) => a.clock.offsetMs), [1.5, -3.25]);
    assert.equal(report.distributed!.missing[0]!.agent, 2);
  });

  it('a broken distributed field is refused with one line naming the field', () => {
    const broken = (edit: (d: Record<string, unknown> & DistributedRun) => void): unknown => {
      const json = collected();
      edit(json.distributed as Record<string, unknown> & DistributedRun);
      return json;
    };
    assert.match(refusal(broken((d) => { d.perAgent[0]!.clock.errorMs = -1; })), /^nightly-1\.json is not a valid ticker latency report: distributed\.perAgent\[0\]\.clock\.errorMs: /);
    assert.match(refusal(broken((d) => { delete (d as Partial<DistributedRun>).missing; })), /: distributed\.missing: missing \(expected array\)$/);
    assert.match(refusal(broken((d) => { d.perAgent.pop(); })), /: distributed\.perAgent: does not match reported \(a row per agent that reported\)$/);
    assert.match(refusal(broken((d) => { d.started.push(3); })), /: distributed: names an agent index not below agents$/);
    assert.match(refusal(broken((d) => { d.missing.push({ agent: 1, reason: 'x' }); })), /: distributed\.missing: names an agent that reported$/);
    assert.match(refusal(broken((d) => { d.perAgent[1]!.endToEnd.p50us = Number.NaN; })), /: distributed\.perAgent\[1\]\.endToEnd\.p50us: /);
    assert.match(refusal(broken((d) => { (d as { agents: unknown }).agents = '3'; })), /: distributed\.agents: /);
  });

  it('report merge refuses the whole of a run beside other reports (its agents\' parts are in it already)', () => {
    const whole = collected();
    const part = makeReport({ endToEnd: values(30, 1000) });
    assert.equal(mergeProblem([part, whole], ['nightly-1-agent0.json', 'nightly-1.json']),
      'nightly-1.json is the merged report of distributed run "nightly-1" (2 agents): merge it with nothing, or merge the agents\' own parts');
    // Forced, the merge is a plain report again: one run's agent rows no longer describe it, the notes stay.
    const merged = JSON.parse(JSON.stringify(mergeReports([part, whole], ['a', 'b']))) as LatencyReport;
    assert.equal(merged.distributed, undefined);
    assert.ok(merged.target.notes?.some((n) => n.startsWith('distributed run "nightly-1"')), String(merged.target.notes));
    assert.doesNotThrow(() => parseReport(merged, 'merged.json'));
    // Alone it merges into itself.
    assert.equal(mergeProblem([whole], ['nightly-1.json']), undefined);
  });

  it('report compare compares the whole and names the number of agents when it differs', () => {
    const whole = collected();
    const single = makeReport({ endToEnd: values(60, 1000) });
    assert.deepEqual(settingDifferences(single, whole), ['agents 1 → 3']);
    assert.deepEqual(settingDifferences(whole, collected()), []);
    const rows = compareReports(single, whole);
    const p50 = rows.find((r) => r.histogram === 'endToEnd' && r.percentile === 'p50')!;
    assert.equal(p50.base, p50.new);
  });
});
