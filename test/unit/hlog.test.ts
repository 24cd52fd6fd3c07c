import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import { createLatencyMicros, encodeHistogram, recordMicros, summarizeEncoded } from '../../src/measure/histograms.js';
import { IntervalRecorder, mergeIntervals } from '../../src/measure/intervals.js';
import { formatHlog, parseHlog } from '../../src/report/hlog.js';

const START = Date.UTC(2026, 11, 2, 7, 0, 0, 250);

function sampleLog() {
  // two "threads" recording endToEnd over 3 s, one writeAck over 2 s
  const a = new IntervalRecorder(START);
  const b = new IntervalRecorder(START);
  for (let k = 0; k < 300; k++) a.record('endToEnd', START + k * 10, 1000 + k);
  for (let k = 0; k < 200; k++) b.record('endToEnd', START + k * 10, 5000);
  for (let k = 0; k < 200; k++) b.record('writeAck', START + k * 10, 300);
  return mergeIntervals(START, ['endToEnd', 'writeAck', 'staggers'], [a.finish(), b.finish()], 3);
}

describe('HdrHistogram interval log (.hlog)', () => {
  it('is written in HistogramLogWriter format: start time, base time, legend, one tagged line per histogram per second', () => {
    const text = formatHlog(sampleLog());
    const lines = text.trim().split('\n');
    assert.match(lines[1]!, /^#\[Histogram log format version 1\.3\]$/);
    assert.equal(lines[2], '#[StartTime: 1796194800.250 (seconds since epoch), Wed Dec 02 07:00:00 UTC 2026]');
    assert.equal(lines[3], '#[BaseTime: 1796194800.250 (seconds since epoch)]');
    assert.equal(lines[4], '"StartTimestamp","Interval_Length","Interval_Max","Interval_Compressed_Histogram"');
    assert.equal(lines.length, 5 + 4 * 3); // seconds 0..3, three tags each, empty ones too
    assert.match(lines[5]!, /^Tag=endToEnd,0\.000,1\.000,5\.003,HISTF[A-Za-z0-9+/=]+$/);
  });

  it('parses back (with hdr-histogram-js\'s own reader) to the same counts per second and tag', () => {
    const log = sampleLog();
    const back = parseHlog(formatHlog(log));
    assert.equal(back.startTime, START);
    assert.deepEqual(back.tags, ['endToEnd', 'writeAck', 'staggers']);
    assert.deepEqual(
      back.intervals.map((i) => [i.second, i.tag, summarizeEncoded(i.encoded).count]),
      log.intervals.map((i) => [i.second, i.tag, summarizeEncoded(i.encoded).count]),
    );
    assert.deepEqual(back.intervals.filter((i) => i.tag === 'endToEnd').map((i) => summarizeEncoded(i.encoded).count), [200, 200, 100, 0]);
  });

  it('a value late for its second is kept in the open one: no count is lost', () => {
    const r = new IntervalRecorder(START);
    r.record('x', START + 1500, 1);
    r.record('x', START + 200, 2); // late
    const h = createLatencyMicros();
    recordMicros(h, 1);
    recordMicros(h, 2);
    assert.deepEqual(r.finish().map((i) => [i.second, i.encoded]), [[1, encodeHistogram(h)]]);
  });

  // HdrHistogram's own Java HistogramLogProcessor, when a JVM and the jar are at hand (not on every CI).
  const jar = join(homedir(), '.m2/repository/org/hdrhistogram/HdrHistogram/2.2.2/HdrHistogram-2.2.2.jar');
  const java = ['/usr/bin/java', '/usr/local/bin/java'].find((p) => existsSync(p));
  it('HdrHistogram\'s Java HistogramLogProcessor reads it with the same total count', { skip: !java || !existsSync(jar) ? 'no java or no HdrHistogram jar in ~/.m2' : false }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ticker-hlog-'));
    try {
      const file = join(dir, 'run.hlog');
      await writeFile(file, formatHlog(sampleLog()));
      const { stdout } = await promisify(execFile)(java!, ['-cp', jar, 'org.HdrHistogram.HistogramLogProcessor', '-i', file, '-tag', 'endToEnd', '-outputValueUnitRatio', '1000']);
      assert.match(stdout, /Total count\s+=\s+500\]/);
      assert.match(stdout, /Max\s+=\s+5\.00\d/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
