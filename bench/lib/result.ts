/**
 * One benchmark figure, beside a baseline measured in the same run (plain data: run-all writes it as JSON
 * and Markdown). `ratio` is value / baseline.value unless the bench says otherwise in `notes`.
 */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  baseline: { name: string; value: number };
  ratio: number;
  /** The goal in words, e.g. "ratio >= 0.5" or "< 2.5 GB". */
  target?: string;
  pass?: boolean;
  notes?: string;
}

/** What every `bench/<name>.bench.ts` exports. */
export type BenchModule = { run(): Promise<BenchResult[]> };

export const QUICK = process.env.BENCH_QUICK === '1';
