/**
 * The capacity search: raise the rate (or the listener count) step by step by a factor while the SLO holds
 * with nothing lost, then bisect between the last passing and the first failing value down to a precision.
 * Always bounded: by `max` (never above it) and by `maxSteps`. Pure: a plan for `runSteps`.
 */
import type { StepPlan, StepResult } from './steps.js';

export interface CapacitySearch {
  start: number;
  /** the highest value ever tried */
  max: number;
  /** growth per step while passing (> 1) */
  factor: number;
  /** stop bisecting when (fail − pass) / pass is at most this (e.g. 0.1) */
  precision: number;
  maxSteps: number;
  /** listeners are whole numbers; rates may be fractional but are rounded to whole ops/s too */
  integer: boolean;
}

export interface Knee {
  /** the highest value that met the SLO, or null when even the first step failed */
  value: number | null;
  /** the lowest value that failed, or null when none did (the bound was reached) */
  firstFailing: number | null;
  /** why the search stopped */
  stoppedBy: 'precision' | 'max' | 'max-steps' | 'failed-at-start' | 'interrupted';
}

export function capacityPlan(search: CapacitySearch): StepPlan {
  return (done) => {
    if (done.length >= search.maxSteps) return undefined;
    if (done.length === 0) return clamp(search.start, search);
    const { pass, fail } = bracket(done);
    if (fail === undefined) {
      const last = done.at(-1)!.value;
      if (last >= search.max) return undefined;
      return clamp(Math.min(search.max, last * search.factor), search);
    }
    if (pass === undefined) return undefined; // failed at the start: nothing lower is tried
    if ((fail - pass) / pass <= search.precision) return undefined;
    const middle = search.integer ? Math.round((pass + fail) / 2) : Math.round((pass + fail) / 2);
    if (middle <= pass || middle >= fail) return undefined;
    return middle;
  };
}

/** The knee the steps so far show. */
export function findKnee(done: readonly StepResult[], search: CapacitySearch, interrupted = false): Knee {
  const { pass, fail } = bracket(done);
  const stoppedBy: Knee['stoppedBy'] = interrupted
    ? 'interrupted'
    : fail === undefined
      ? done.length >= search.maxSteps && (done.at(-1)?.value ?? 0) < search.max ? 'max-steps' : 'max'
      : pass === undefined
        ? 'failed-at-start'
        : (fail - pass) / pass <= search.precision || Math.round((pass + fail) / 2) <= pass
          ? 'precision'
          : 'max-steps';
  return { value: pass ?? null, firstFailing: fail ?? null, stoppedBy };
}

/** The highest passing value below the lowest failing one, and that failing one. */
function bracket(done: readonly StepResult[]): { pass?: number; fail?: number } {
  const failing = done.filter((s) => !s.pass).map((s) => s.value);
  const fail = failing.length > 0 ? Math.min(...failing) : undefined;
  const passing = done.filter((s) => s.pass && (fail === undefined || s.value < fail)).map((s) => s.value);
  return { pass: passing.length > 0 ? Math.max(...passing) : undefined, fail };
}

function clamp(value: number, search: CapacitySearch): number {
  return Math.max(1, Math.min(search.max, Math.round(value)));
}
