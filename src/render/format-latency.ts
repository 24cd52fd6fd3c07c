/** Number formatting shared by the terminal tables and the report files. Pure. */

/** Microseconds as milliseconds with about three significant digits: 0.042, 1.23, 12.3, 123, 4567. */
export function formatMs(micros: number): string {
  const ms = micros / 1000;
  const abs = Math.abs(ms);
  if (micros === 0) return '0';
  if (abs < 1) return ms.toFixed(3);
  if (abs < 10) return ms.toFixed(2);
  if (abs < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

/** A signed difference in milliseconds: +1.23, −0.042. */
export function formatDeltaMs(micros: number): string {
  if (micros === 0) return '0';
  return (micros > 0 ? '+' : '−') + formatMs(Math.abs(micros));
}

export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

export function formatRate(perSecond: number): string {
  return perSecond >= 100 ? formatCount(perSecond) : perSecond.toFixed(1);
}

export function formatRatio(ratio: number | null): string {
  return ratio === null ? '—' : `${ratio.toFixed(2)}×`;
}

/** The statistic's label as people write it: p999 → p99.9. */
export function statisticLabel(stat: string): string {
  return stat === 'p999' ? 'p99.9' : stat;
}

/** A threshold's value in the unit people wrote it in: `12.3ms`, `0`, `1,980/s`, `99.0%`. */
export function formatThresholdValue(value: number | null, unit: 'us' | 'count' | 'per-second' | 'percent'): string {
  if (value === null) return 'not measured';
  switch (unit) {
    case 'us':
      return `${formatMs(value)}ms`;
    case 'count':
      return formatCount(value);
    case 'per-second':
      return `${formatRate(value)}/s`;
    case 'percent':
      return `${value.toFixed(value >= 99 && value < 100 ? 2 : 1)}%`;
  }
}

/** A step of a stepped run as people say it: `1,000 writes/s`, `15 listeners`. */
export function formatStep(variable: 'rate' | 'listeners', value: number): string {
  return variable === 'rate' ? `${formatRate(value)} writes/s` : `${value} listener${value === 1 ? '' : 's'}`;
}

/** A threshold as shown: its expression, and on a stepped run the step it was judged on first. */
export function thresholdName(r: { expression: string; step?: { variable: 'rate' | 'listeners'; value: number } }): string {
  return r.step ? `${formatStep(r.step.variable, r.step.value)}: ${r.expression}` : r.expression;
}
