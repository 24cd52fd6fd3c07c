/** Writes a report's files, each atomically: `<name>.json`, `.md`, `.html`, `.hgrm`, and `.hlog` given the intervals. */
import { join } from 'node:path';
import { decodeHistogram } from '../measure/histograms.js';
import { ensureDir, writeFileAtomic, WHY_NOT_WRITABLE } from '../util/atomic-write.js';
import { UserError } from '../util/errors.js';
import type { IntervalLog } from '../measure/intervals.js';
import { formatHlog } from './hlog.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import type { LatencyReport } from './model.js';

export interface WrittenReport {
  json: string;
  md: string;
  html: string;
  hgrm: string;
  /** the HdrHistogram interval log, when the run's intervals were given */
  hlog?: string;
}

/** `latency-2025-01-31T12-00-00.000Z`: an ISO timestamp without colons, so it is a valid file name everywhere. */
export function defaultReportName(at: Date = new Date()): string {
  return `latency-${at.toISOString().replaceAll(':', '-')}`;
}

export async function writeReport(report: LatencyReport, dir: string, baseName = defaultReportName(), intervals?: IntervalLog): Promise<WrittenReport> {
  const paths: WrittenReport = {
    json: join(dir, `${baseName}.json`),
    md: join(dir, `${baseName}.md`),
    html: join(dir, `${baseName}.html`),
    hgrm: join(dir, `${baseName}.hgrm`),
    ...(intervals ? { hlog: join(dir, `${baseName}.hlog`) } : {}),
  };
  try {
    await ensureDir(dir);
    await writeFileAtomic(paths.json, JSON.stringify(report, null, 2) + '\n');
    await writeFileAtomic(paths.md, renderMarkdown(report));
    await writeFileAtomic(paths.html, renderHtml(report));
    await writeFileAtomic(paths.hgrm, hgrmText(report));
    if (intervals && paths.hlog) await writeFileAtomic(paths.hlog, formatHlog(intervals));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === undefined) throw err;
    throw new UserError(`cannot write the report to ${dir}: ${WHY_NOT_WRITABLE[code] ?? code}`);
  }
  return paths;
}

/** The classic HdrHistogram percentile text of endToEnd, in milliseconds (what wrk2 and HdrHistogram's plotter read). */
function hgrmText(report: LatencyReport): string {
  const endToEnd = report.histograms.endToEnd ?? Object.values(report.histograms)[0];
  if (!endToEnd) return '';
  const h = decodeHistogram(endToEnd.encoded);
  try {
    return h.outputPercentileDistribution(5, 1000);
  } finally {
    h.destroy();
  }
}
