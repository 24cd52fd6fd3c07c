/** The report as a Markdown summary (`<name>.md`). Pure. */
import type { LatencyReport } from './model.js';
import { allSections, verdictText, type Section } from './sections.js';

export function renderMarkdown(report: LatencyReport): string {
  const verdict = `**${verdictText(report)}**`;
  const header = [
    '# ticker latency report',
    '',
    `${verdict}. Measured ${(report.durationMs / 1000).toFixed(1)} s from ${report.startedAt}; all latencies in milliseconds.`,
  ];
  return [...header, ...allSections(report).flatMap(sectionMarkdown)].join('\n') + '\n';
}

function sectionMarkdown(section: Section): string[] {
  const lines = ['', `## ${section.title}`, ''];
  if (section.rows.length > 0) {
    const keyValue = section.head.every((h) => h === '');
    const head = keyValue ? section.head.map(() => ' ') : section.head;
    lines.push(tableRow(head), tableRow(head.map((_, i) => (i === 0 || keyValue ? ':--' : '--:'))));
    lines.push(...section.rows.map(tableRow));
  }
  for (const note of section.notes ?? []) lines.push('', note);
  if (section.bullets?.length) lines.push('', ...section.bullets.map((b) => `- ${b}`));
  return lines;
}

function tableRow(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
}
