import { readFile } from 'node:fs/promises';
import { UserError } from '../util/errors.js';
import { parseReport, type LatencyReport } from './model.js';

/** Reads and validates a saved report; every failure is a one-line UserError naming the file. */
export async function readReportFile(path: string): Promise<LatencyReport> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    throw new UserError(`cannot read ${path}: ${WHY[code] ?? (code || (err as Error).message)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new UserError(`${path} is not a ticker latency report (not valid JSON)`);
  }
  return parseReport(json, path);
}

const WHY: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EISDIR: 'it is a directory',
};
