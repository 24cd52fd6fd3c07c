import { seededRandom, type Random } from '../load/dataset.js';

export interface LagSummary {
  p50: number;
  p99: number;
  max: number;
}

/**
 * Send lag (actual send − intended time) of the mutator's operations, in ms. Not the latency histogram
 * (that is `src/measure`): a bounded uniform sample (reservoir, Algorithm R) so memory stays flat on long
 * runs; exact while the run has fewer operations than the capacity. Max is always exact.
 */
export class LagStats {
  private readonly sample: Float64Array;
  private seen = 0;
  private maxMs = 0;

  constructor(capacity = 100_000, private readonly random: Random = seededRandom(0x7ac4)) {
    this.sample = new Float64Array(capacity);
  }

  record(lagMs: number): void {
    const value = Math.max(0, lagMs); // a timer can wake a hair early; that is no lag
    if (value > this.maxMs) this.maxMs = value;
    if (this.seen < this.sample.length) this.sample[this.seen] = value;
    else {
      const slot = Math.floor(this.random() * (this.seen + 1));
      if (slot < this.sample.length) this.sample[slot] = value;
    }
    this.seen++;
  }

  get count(): number {
    return this.seen;
  }

  summary(): LagSummary {
    const n = Math.min(this.seen, this.sample.length);
    if (n === 0) return { p50: 0, p99: 0, max: 0 };
    const sorted = this.sample.slice(0, n).sort();
    const at = (q: number): number => sorted[Math.min(n - 1, Math.ceil(q * n) - 1)]!;
    return { p50: at(0.5), p99: at(0.99), max: this.maxMs };
  }
}
