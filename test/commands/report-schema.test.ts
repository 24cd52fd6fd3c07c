import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MongoClient } from 'mongodb';
import { bulkDocs, bulkLayout, familiarDocs, seededRandom, type StockDoc } from '../../src/load/dataset.js';
import { capacityReportSchema, describeSchemaError, reportSchema } from '../../src/report/schema.js';
import { runTicker } from '../helpers/cli.js';
import { undescribedFields } from '../helpers/schema-fields.js';
import { getTarget, uniqueDbName, type TestTarget } from '../helpers/target.js';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- edited report files

async function onlyJson(dir: string): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.json'));
  assert.equal(files.length, 1, files.join(', '));
  return join(dir, files[0]!);
}

/** Valid, and every field the command wrote is one the schema checks (no field passes unchecked). */
function assertDescribed(schema: typeof reportSchema | typeof capacityReportSchema, json: unknown, what: string): void {
  const checked = schema.safeParse(json);
  assert.ok(checked.success, `${what}: ${checked.success ? '' : describeSchemaError(checked.error)}`);
  assert.deepEqual(undescribedFields(schema, json), [], what);
}

// The report schema accepts exactly what the commands write, and checks all of it.
describe('report files against their schema', () => {
  let target: TestTarget;
  let dir: string;
  const db = uniqueDbName('schema');
  const reports: Record<string, string> = {};

  before(async () => {
    target = await getTarget();
    dir = await mkdtemp(join(tmpdir(), 'ticker-schema-'));
    // A small data set, loaded here (the benches would load 20,000 documents each).
    const client = await new MongoClient(target.uri).connect();
    try {
      const layout = bulkLayout(2_000);
      for (const coll of ['stocksymbols', 'capacity']) {
        await client.db(db).collection<StockDoc>(coll).insertMany([...bulkDocs(layout, 0, layout.count, seededRandom(1)), ...familiarDocs(seededRandom(2))]);
      }
    } finally {
      await client.close();
    }
    const common = ['--uri', target.uri, '--db', db, '--warmup', '200ms'];
    // Side by side, each on its own collection (each audits every event it sees): a stepped run with
    // thresholds (top-level and per step) and a capacity search of one step.
    const [stepped, capacity] = await Promise.all([
      runTicker(['bench', 'latency', ...common, '--rates', '40,80', '--step', '1s', '--threshold', 'endToEnd.p99<10s', '--threshold', 'rate.achieved>=10%', '--report-dir', join(dir, 'steps')]),
      runTicker(['bench', 'capacity', ...common, '--collection', 'capacity', '--slo', 'endToEnd.p99<10s', '--start', '50', '--max', '50', '--step', '1s', '--report-dir', join(dir, 'capacity')]),
    ]);
    assert.equal(stepped.code, 0, stepped.stderr);
    assert.equal(capacity.code, 0, capacity.stderr);
    reports.steps = await onlyJson(join(dir, 'steps'));
    reports.capacity = await onlyJson(join(dir, 'capacity'));
    const [merged, sliced] = await Promise.all([
      runTicker(['report', 'merge', reports.steps, reports.steps, '--force', '--out-dir', join(dir, 'merged')]),
      runTicker(['report', 'slice', reports.steps.replace(/\.json$/, '.hlog'), '--to', '1s', '--out-dir', join(dir, 'slice')]),
    ]);
    assert.equal(merged.code, 0, merged.stderr);
    assert.equal(sliced.code, 0, sliced.stderr);
    reports.merged = await onlyJson(join(dir, 'merged'));
    reports.slice = await onlyJson(join(dir, 'slice'));
  });
  after(async () => {
    if (target && !target.embedded) {
      const client = await new MongoClient(target.uri).connect();
      await client.db(db).dropDatabase();
      await client.close();
    }
    await target?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const read = async (name: string): Promise<Json> => JSON.parse(await readFile(reports[name]!, 'utf8'));

  it('bench latency (stepped, with thresholds), report merge and report slice write reports the schema checks field by field', async () => {
    for (const name of ['steps', 'merged', 'slice']) assertDescribed(reportSchema, await read(name), name);
    const steps = await read('steps');
    assert.ok(steps.thresholds.length >= 2, 'thresholds are there to check');
    assert.ok(steps.timeline.some((b: Json) => typeof b.writes === 'number' && typeof b.sendLagP99Us === 'number'), 'timeline writer fields are there to check');
    assert.equal(steps.steps.rows.length, 2);
    assert.ok(steps.steps.rows[0].thresholds.length >= 2);
  });

  it('bench capacity writes a report its schema checks field by field', async () => {
    const capacity = await read('capacity');
    assertDescribed(capacityReportSchema, capacity, 'capacity');
    assert.equal(capacity.steps.length, 1);
  });

  it('an edited report is refused in one line naming the field: negative counts, wrong types, missing fields', async () => {
    const cases: Array<[string, (r: Json) => void, RegExp]> = [
      ['steps', (r) => void (r.timeline[0].writes = -3), /: timeline\[0\]\.writes: expected a number of 0 or more$/],
      ['steps', (r) => void (r.thresholds[0].measured = 'fast'), /: thresholds\[0\]\.measured: expected number, received string$/],
      ['steps', (r) => void (r.thresholds[1].operator = '=>'), /: thresholds\[1\]\.operator: expected one of <, <=, >, >=, ==, !=$/],
      ['steps', (r) => void delete r.thresholds[0].limit, /: thresholds\[0\]\.limit: missing \(expected number\)$/],
      ['steps', (r) => void delete r.steps.rows[1].p99us, /: steps\.rows\[1\]\.p99us: missing \(expected number\)$/],
      ['steps', (r) => void (r.steps.rows[0].lost = -1), /: steps\.rows\[0\]\.lost: expected a number of 0 or more$/],
      ['steps', (r) => void (r.perListener[0].events = 1.5), /: perListener\[0\]\.events: expected int, received number$/],
      ['steps', (r) => void (r.histograms.endToEnd.summary.distribution[0].percentile = 101), /: histograms\.endToEnd\.summary\.distribution\[0\]\.percentile: /],
      ['steps', (r) => void delete r.config.listeners, /: config\.listeners: missing \(expected number\)$/],
      ['merged', (r) => void (r.audit.duplicated = '0'), /: audit\.duplicated: expected number, received string$/],
    ];
    await Promise.all(cases.map(async ([source, edit, message], k) => {
      const report = await read(source);
      edit(report);
      const file = join(dir, `edited-${k}.json`);
      await writeFile(file, JSON.stringify(report));
      const run = await runTicker(['report', 'compare', reports.steps!, file]);
      assert.equal(run.code, 1, `${k}: ${run.stdout}`);
      const lines = run.stderr.trim().split('\n');
      assert.equal(lines.length, 1, run.stderr);
      assert.match(lines[0]!, new RegExp(`^Error: ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} is not a valid ticker latency report${message.source}`), `${k}: ${lines[0]}`);
    }));
  });

  it('a capacity report given to a latency command says what it is; an edited one fails its schema on the field', async () => {
    const run = await runTicker(['report', 'compare', reports.steps!, reports.capacity!]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^Error: \S+ is not a ticker latency report \(it is a bench capacity report, which holds its own knee; report merge, compare and slice read bench latency reports\)\n$/);
    const capacity = await read('capacity');
    capacity.knee.stoppedBy = 'tired';
    capacity.steps[0].p50us = -1;
    const checked = capacityReportSchema.safeParse(capacity);
    assert.equal(checked.success, false);
    assert.match(describeSchemaError(checked.error!), /^knee\.stoppedBy: expected one of precision, max, max-steps, failed-at-start, interrupted$/);
  });
});
