/**
 * Steps: one measured `bench latency` run per value of the rate or the listener count, against one target
 * (the embedded server is started once for all of them), each with its own warm-up, listeners and fence.
 * Which values to run comes from a plan: a fixed list (`--rates`, `--listeners 1,15,105`) or a search that
 * picks the next value from the results so far (`bench capacity`). Measuring code: never prints.
 */
import type { LatencyReport } from '../report/model.js';
import { startEmbeddedProcess, type EmbeddedProcess } from './embedded-process.js';
import type { IntervalLog } from './intervals.js';
import { runLatency, type LatencyRunOptions } from './latency-run.js';
import { evaluateThresholds, type Threshold, type ThresholdResult } from './thresholds.js';

export type StepVariable = 'rate' | 'listeners';

export interface StepResult {
  variable: StepVariable;
  value: number;
  report: LatencyReport;
  intervals: IntervalLog;
  errors: string[];
  /** the SLO / thresholds judged on this step alone */
  thresholds: ThresholdResult[];
  /** every threshold passed, nothing lost or duplicated, and no listener or writer error */
  pass: boolean;
}

/** Returns the next value to measure given the steps so far, or undefined when done. */
export type StepPlan = (done: readonly StepResult[]) => number | undefined;

export interface StepsOptions {
  base: Omit<LatencyRunOptions, 'rate' | 'listeners'> & { rate: number; listeners: number };
  variable: StepVariable;
  plan: StepPlan;
  thresholds: readonly Threshold[];
  /** called before each step with its value and number (from 1) */
  onStep?: (info: { value: number; index: number }) => void;
}

export interface StepsResult {
  steps: StepResult[];
  interrupted: boolean;
}

/** The fixed-list plan: each value once, in the order given. */
export function listPlan(values: readonly number[]): StepPlan {
  return (done) => values[done.length];
}

export async function runSteps(options: StepsOptions): Promise<StepsResult> {
  const { base, variable } = options;
  let embedded: EmbeddedProcess | undefined;
  const steps: StepResult[] = [];
  try {
    embedded = base.uri === undefined ? await startEmbeddedProcess() : undefined;
    const uri = base.uri ?? embedded!.uri;
    for (let value = options.plan(steps); value !== undefined; value = options.plan(steps)) {
      if (base.signal?.aborted) break;
      options.onStep?.({ value, index: steps.length + 1 });
      const run = await runLatency({ ...base, uri, [variable]: value });
      if (embedded) run.report.target.notes = [...(run.report.target.notes ?? []), 'embedded server, started by the harness in a process of its own'];
      const thresholds = evaluateThresholds(options.thresholds, run.report);
      const pass = run.report.ok && run.errors.length === 0 && thresholds.every((t) => t.pass);
      steps.push({ variable, value, report: run.report, intervals: run.intervals, errors: run.errors, thresholds, pass });
      if (run.interrupted) return { steps, interrupted: true };
    }
    return { steps, interrupted: base.signal?.aborted === true };
  } finally {
    await embedded?.stop();
  }
}
