import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { parseReport } from '../../src/report/model.js';
import { defaultReportName, writeReport } from '../../src/report/write.js';
import { writeFileAtomic } from '../../src/util/atomic-write.js';
import { UserError } from '../../src/util/errors.js';
import { makeReport, values } from './latency-report-fixture.js';

const root = await mkdtemp(join(tmpdir(), 'ticker-report-write-'));
after(() => rm(root, { recursive: true, force: true }));

test('writeReport writes the json, md, html and hgrm files and leaves no temporary file', async () => {
  const dir = join(root, 'reports', 'nested');
  const report = makeReport({ endToEnd: values(50, 1000), gapsMs: [400] });
  const written = await writeReport(report, dir, 'run1');

  assert.deepEqual((await readdir(dir)).sort(), ['run1.hgrm', 'run1.html', 'run1.json', 'run1.md']);
  assert.deepEqual(Object.values(written).sort(), ['hgrm', 'html', 'json', 'md'].map((e) => join(dir, `run1.${e}`)));

  const json = parseReport(JSON.parse(await readFile(written.json, 'utf8')), written.json);
  assert.deepEqual(json, report);

  const md = await readFile(written.md, 'utf8');
  assert.match(md, /^# ticker latency report/);
  assert.match(md, /\| endToEnd \| 25\.0 \|/);
  assert.match(md, /waits for journal\/majority commit/);

  const html = await readFile(written.html, 'utf8');
  // uPlot is inlined and each plot is drawn from data in the page
  assert.match(html, /<script>[^<]*var uPlot/);
  assert.match(html, /tickerChart\(\{"id":"distribution"/);
  assert.match(html, /tickerChart\(\{"id":"timeline"/);
  // self-contained: nothing is fetched
  assert.doesNotMatch(html, /<script[^>]+src=|<link[^>]+href=|<img[^>]+src=/);

  const hgrm = await readFile(written.hgrm, 'utf8');
  assert.match(hgrm, /Value\s+Percentile\s+TotalCount\s+1\/\(1-Percentile\)/);
  assert.match(hgrm, /Total count\s+=\s+50\]/);
});

test('the default name is latency-<ISO timestamp without colons>', () => {
  assert.equal(defaultReportName(new Date('2025-01-31T12:34:56.789Z')), 'latency-2025-01-31T12-34-56.789Z');
});

test('an unwritable directory is a one-line UserError naming it', async () => {
  const file = join(root, 'a-file');
  await writeFile(file, 'x');
  const dir = join(file, 'reports');
  await assert.rejects(writeReport(makeReport({ endToEnd: values(3) }), dir, 'x'), (err: unknown) => {
    assert.ok(err instanceof UserError);
    assert.equal(err.message, `cannot write the report to ${dir}: a part of the path is not a directory`);
    return true;
  });
});

test('a failed atomic write leaves neither a partial file nor its temporary', async () => {
  const dir = join(root, 'atomic');
  await mkdir(join(dir, 'taken'), { recursive: true });
  // renaming a file over a directory fails after the temporary was written
  await assert.rejects(writeFileAtomic(join(dir, 'taken'), 'content'));
  assert.deepEqual(await readdir(dir), ['taken']);
  await writeFileAtomic(join(dir, 'ok.txt'), 'one');
  await writeFileAtomic(join(dir, 'ok.txt'), 'two');
  assert.deepEqual((await readdir(dir)).sort(), ['ok.txt', 'taken']);
  assert.equal(await readFile(join(dir, 'ok.txt'), 'utf8'), 'two');
});
