import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capacityPlan, findKnee, type CapacitySearch } from '../../src/measure/capacity.js';
import type { StepResult } from '../../src/measure/steps.js';

const search: CapacitySearch = { start: 100, max: 20_000, factor: 2, precision: 0.1, maxSteps: 12, integer: true };

/** Runs the plan against a system whose knee is `limit`: a step passes when its value is at most the limit. */
function simulate(limit: number, s: CapacitySearch = search): { values: number[]; knee: ReturnType<typeof findKnee> } {
  const plan = capacityPlan(s);
  const done: StepResult[] = [];
  for (let v = plan(done); v !== undefined; v = plan(done)) {
    done.push({ variable: 'rate', value: v, pass: v <= limit } as StepResult);
    assert.ok(done.length <= s.maxSteps, 'more steps than --max-steps');
  }
  return { values: done.map((d) => d.value), knee: findKnee(done, s) };
}

describe('capacity search', () => {
  it('doubles while the SLO holds, then bisects to within the precision below the knee', () => {
    const { values, knee } = simulate(1_000);
    assert.deepEqual(values.slice(0, 5), [100, 200, 400, 800, 1600]);
    assert.equal(knee.stoppedBy, 'precision');
    assert.ok(knee.value! <= 1_000 && knee.firstFailing! > 1_000);
    assert.ok((knee.firstFailing! - knee.value!) / knee.value! <= 0.1, `${knee.value}..${knee.firstFailing}`);
  });

  it('stops at --max when the SLO always holds, and never tries above it', () => {
    const { values, knee } = simulate(Infinity, { ...search, max: 1_000 });
    assert.deepEqual(values, [100, 200, 400, 800, 1_000]);
    assert.deepEqual(knee, { value: 1_000, firstFailing: null, stoppedBy: 'max' });
  });

  it('reports no knee when the first step fails, and tries nothing lower', () => {
    const { values, knee } = simulate(50);
    assert.deepEqual(values, [100]);
    assert.deepEqual(knee, { value: null, firstFailing: 100, stoppedBy: 'failed-at-start' });
  });

  it('stops at --max-steps before the precision is reached, and says so', () => {
    const { values, knee } = simulate(1_000, { ...search, maxSteps: 6 });
    assert.equal(values.length, 6);
    assert.equal(knee.stoppedBy, 'max-steps');
    assert.ok(knee.value! <= 1_000);
  });
});
