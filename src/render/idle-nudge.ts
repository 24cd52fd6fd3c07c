/**
 * The "nothing is writing" nudge as a line of its own, for outputs without a status line (not a
 * terminal, or NDJSON): said once per silence, again only after events came and stopped again.
 */
import { idleNudge, idleNudgeLine, isIdle, type StreamStats } from './status-line.js';

export function idleHintOf(nudge: { namespace: string; mutateHint: string }): string {
  return idleNudge(nudge.namespace, nudge.mutateHint);
}

export class IdleNudge {
  private saidAtEvents = -1;

  constructor(private readonly nudge: { namespace: string; mutateHint: string }, private readonly say: (line: string) => void) {}

  /** Call now and then with the stream's figures. */
  check(stats: StreamStats): void {
    if (this.saidAtEvents === stats.events || !isIdle(stats)) return;
    this.saidAtEvents = stats.events;
    this.say(idleNudgeLine(this.nudge.namespace, this.nudge.mutateHint, stats.sinceLastMs ?? stats.sinceStartMs));
  }
}
