/**
 * The one schema of a saved latency report (zod). `report merge`, `report compare` and `report slice`
 * read every file through it, so an edited or foreign file is refused with one line naming the bad field
 * instead of producing figures from nonsense. Objects are loose: fields a newer ticker adds pass through
 * untouched. To add a report field, add it here (next to its siblings) and in `model.ts`.
 */
import { z } from 'zod';

// Here rather than in model.ts (which re-exports them): model.ts checks files with this schema.
export const REPORT_FORMAT = 'ticker-latency-report';
export const REPORT_VERSION = 1;

const count = z.number().int().nonnegative();
const micros = z.number().nonnegative();
const ms = z.number().nonnegative();
const base64 = z.string().min(1).regex(/^[A-Za-z0-9+/=]+$/, 'expected base64 histogram counts');

export const histogramSummarySchema = z.looseObject({
  count,
  min: micros,
  mean: micros,
  stddev: z.number().nonnegative(),
  p50: micros,
  p90: micros,
  p99: micros,
  p999: micros,
  max: micros,
  distribution: z.array(z.looseObject({ percentile: z.number().min(0).max(100), value: micros })).optional(),
});

export const encodedHistogramSchema = z.looseObject({
  unit: z.literal('us'),
  encoded: base64,
  summary: histogramSummarySchema,
});

export const configSchema = z.looseObject({
  rate: z.number().positive(),
  durationMs: ms,
  warmupMs: ms,
  listeners: count.min(1),
  writers: count.min(1),
  fullDocument: z.string(),
  mix: z.record(z.string(), count),
  coldShard: z.union([z.boolean(), z.string()]).optional(),
  sources: z.array(z.string()).optional(),
});

export const targetSchema = z.looseObject({
  uri: z.string().min(1),
  embedded: z.boolean(),
  serverVersion: z.string(),
  topology: z.enum(['replicaSet', 'sharded']),
  shards: count.min(1).optional(),
  notes: z.array(z.string()).optional(),
  sources: z.array(z.string()).optional(),
});

export const rateSchema = z.looseObject({
  requested: z.number().positive(),
  achieved: z.number().nonnegative(),
  maxBehindMs: ms,
  writes: count,
  writeErrors: count,
});

export const staggersSchema = z.looseObject({
  thresholdMs: ms,
  count,
  histogram: encodedHistogramSchema,
  worst: z.array(z.looseObject({ startMs: z.number(), gapMs: ms, burst: count, listener: z.string().optional(), shard: z.string().optional() })),
});

export const timelineBucketSchema = z.looseObject({
  second: count,
  events: count,
  p50us: micros,
  p99us: micros,
  maxUs: micros,
  encoded: base64.optional(),
  writes: count.optional(),
  acked: count.optional(),
  sendLagP99Us: micros.optional(),
  sendLagMaxUs: micros.optional(),
});

const auditCounts = { expected: count, received: count, lost: count, duplicated: count };
export const auditSchema = z.looseObject({
  ...auditCounts,
  perListener: z.array(z.looseObject({ listener: z.string(), ...auditCounts })).optional(),
});

/** A `--threshold`'s verdict (src/measure/thresholds.ts): limit and measured in the metric's unit. */
const thresholdResultSchema = z.looseObject({
  expression: z.string().min(1),
  metric: z.string().min(1),
  operator: z.enum(['<', '<=', '>', '>=', '==', '!=']),
  limit: z.number(),
  unit: z.enum(['us', 'count', 'per-second', 'percent']),
  /** null: nothing to measure it on (an empty histogram), which fails */
  measured: z.number().nullable(),
  pass: z.boolean(),
  /** a stepped run's result names its step */
  step: z.looseObject({ index: count.min(1), variable: z.enum(['rate', 'listeners']), value: z.number().positive() }).optional(),
});

/** A step of a stepped run (`bench latency --rates/--listeners`; the rows of `bench capacity` too). */
export const stepRowSchema = z.looseObject({
  value: z.number().positive(),
  requestedRate: z.number().positive(),
  achievedRate: z.number().nonnegative(),
  listeners: count.min(1),
  events: count,
  p50us: micros,
  p99us: micros,
  p999us: micros,
  maxUs: micros,
  staggers: count,
  lost: count,
  duplicated: count,
  errors: count,
  thresholds: z.array(thresholdResultSchema),
  pass: z.boolean(),
  startedAt: z.iso.datetime(),
  durationMs: ms.optional(),
  offsetMs: ms.optional(),
  histograms: z.record(z.string(), encodedHistogramSchema.extend({ description: z.string().optional() })).optional(),
});

export const steppedRunSchema = z.looseObject({
  variable: z.enum(['rate', 'listeners']),
  values: z.array(z.number().positive()).min(1),
  stepDurationMs: ms,
  warmupMs: ms,
  rows: z.array(stepRowSchema).min(1),
});

const agentIndex = count;

/** A row of a distributed run's merged report: one agent, timed on its own clock. */
export const agentRowSchema = z.looseObject({
  agent: agentIndex,
  host: z.string(),
  rate: rateSchema,
  listeners: count.min(1),
  endToEnd: z.looseObject({ count, p50us: micros, p99us: micros, maxUs: micros }),
  audit: z.looseObject(auditCounts),
  othersEvents: count,
  /** server − the agent's clock: either sign */
  clock: z.looseObject({
    offsetMs: z.number(),
    errorMs: ms,
    clusterTimeLowMs: z.number().optional(),
    wallTimeLowMs: z.number().optional(),
    wallTimeHighMs: z.number().optional(),
  }),
  control: z.looseObject({ ops: count, opsInWindow: count }),
});

/** The merged report of a distributed run (`bench latency --run`, `report collect`). */
export const distributedRunSchema = z
  .looseObject({
    run: z.string().min(1),
    agents: count.min(1),
    leader: agentIndex,
    started: z.array(agentIndex),
    reported: z.array(agentIndex),
    missing: z.array(z.looseObject({ agent: agentIndex, reason: z.string().min(1) })),
    perAgent: z.array(agentRowSchema),
    control: z.looseObject({ opsInWindow: count, benchmarkWrites: count }),
  })
  .refine((d) => [d.leader, ...d.started, ...d.reported, ...d.missing.map((m) => m.agent)].every((a) => a < d.agents), {
    message: 'names an agent index not below agents',
  })
  .refine((d) => d.perAgent.length === d.reported.length && d.perAgent.every((row) => d.reported.includes(row.agent)), {
    path: ['perAgent'],
    message: 'does not match reported (a row per agent that reported)',
  })
  .refine((d) => d.missing.every((m) => !d.reported.includes(m.agent)), { path: ['missing'], message: 'names an agent that reported' });

export const reportSchema = z
  .looseObject({
    format: z.literal(REPORT_FORMAT),
    version: z.literal(REPORT_VERSION),
    config: configSchema,
    target: targetSchema,
    startedAt: z.iso.datetime(),
    endedAt: z.iso.datetime(),
    durationMs: ms,
    rate: rateSchema,
    histograms: z
      .record(z.string(), encodedHistogramSchema.extend({ description: z.string() }))
      .refine((h) => Object.keys(h).length > 0, 'no histograms'),
    staggers: staggersSchema,
    timeline: z.array(timelineBucketSchema),
    audit: auditSchema,
    ok: z.boolean(),
    perListener: z
      .array(z.looseObject({ listener: z.string(), events: count, p99us: micros, maxUs: micros.optional(), backlog: count.optional(), queuedMs: ms.optional() }))
      .optional(),
    thresholds: z.array(thresholdResultSchema).optional(),
    distributed: distributedRunSchema.optional(),
    steps: steppedRunSchema.optional(),
  })
  // `ok` is the audit's verdict: a file that says otherwise was edited.
  .refine((r) => r.ok === (r.audit.lost === 0 && r.audit.duplicated === 0), {
    path: ['ok'],
    message: 'does not match the audit (ok means no event lost or duplicated)',
  })
  .refine((r) => r.audit.received <= r.audit.expected + r.audit.duplicated, {
    path: ['audit', 'received'],
    message: 'is more than expected plus duplicated',
  })
  .refine((r) => Date.parse(r.endedAt) >= Date.parse(r.startedAt), { path: ['endedAt'], message: 'is before startedAt' });

export const CAPACITY_REPORT_FORMAT = 'ticker-capacity-report';

/** `bench capacity`'s report (src/report/capacity.ts): the search, its knee and a row per step. */
export const capacityReportSchema = z
  .looseObject({
    format: z.literal(CAPACITY_REPORT_FORMAT),
    version: z.literal(1),
    vary: z.enum(['rate', 'listeners']),
    slo: z.array(z.string().min(1)).min(1),
    search: z.looseObject({
      start: z.number().positive(),
      max: z.number().positive(),
      factor: z.number().gt(1),
      precision: z.number().positive(),
      maxSteps: count.min(1),
      integer: z.boolean(),
    }),
    knee: z.looseObject({
      value: z.number().positive().nullable(),
      firstFailing: z.number().positive().nullable(),
      stoppedBy: z.enum(['precision', 'max', 'max-steps', 'failed-at-start', 'interrupted']),
    }),
    stepDurationMs: ms,
    warmupMs: ms,
    target: targetSchema,
    startedAt: z.iso.datetime(),
    endedAt: z.iso.datetime(),
    steps: z.array(stepRowSchema),
  })
  .refine((r) => r.steps.length <= r.search.maxSteps, { path: ['steps'], message: 'has more rows than search.maxSteps' })
  .refine((r) => Date.parse(r.endedAt) >= Date.parse(r.startedAt), { path: ['endedAt'], message: 'is before startedAt' });

/** The first problem of a report that failed the schema, as "field.path: what is wrong". */
export function describeSchemaError(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p))).join('.').replace(/\.\[/g, '[');
  const message = issue.message
    .replace(/^Invalid input: expected (\w+), received undefined$/, 'missing (expected $1)')
    .replace(/^Invalid option: expected one of (.*)$/, (_, list: string) => `expected one of ${list.replaceAll('"', '').split('|').join(', ')}`)
    .replace(/^Invalid input: /, '')
    .replace(/^Too small: expected (number|int) to be >=0$/, 'expected a number of 0 or more');
  return `${path || 'the file'}: ${message}`;
}
