/**
 * Heartbeats while a run is on: each agent bumps its counter in the run document and gets every agent's
 * counter back in the same operation (one control operation per beat: the traffic while measuring).
 * A counter that stops moving for MISSING_AFTER_BEATS of this agent's beats marks that agent missing:
 * no clocks are compared, so skewed machines never look dead. The agents' own documents (done, failed
 * and why) are read only when a counter has stood still for a beat, i.e. at the end or when one fails.
 */
import { epochNow } from './time.js';
import { runId, type AgentDoc, type AgentState, type ControlStore, type RunDoc } from './control.js';

export const MISSING_AFTER_BEATS = 3;

export interface MissingAgent {
  agent: number;
  /** epoch ms (this machine) when it was last seen beating */
  lastSeenAt: number;
  reason: string;
}

export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private readonly seen = new Map<number, { beats: number; at: number; state: AgentState }>();
  private readonly missingAgents = new Map<number, MissingAgent>();
  private beating: Promise<void> = Promise.resolve();
  errors = 0;

  constructor(
    private readonly store: ControlStore,
    private readonly run: string,
    private readonly agent: number,
    /** the agents the run started with */
    private readonly watched: readonly number[],
    private readonly intervalMs: number,
  ) {}

  start(): void {
    const now = epochNow();
    for (const a of this.watched) if (a !== this.agent) this.seen.set(a, { beats: -1, at: now, state: 'running' });
    this.timer = setInterval(() => {
      this.beating = this.beating.then(() => this.beat()).catch(() => void this.errors++);
    }, this.intervalMs);
  }

  /** Stops beating (the agent's final state is written to its own document by the caller). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.beating.catch(() => undefined);
  }

  /** Agents that stopped beating before they were done. */
  missing(): MissingAgent[] {
    return [...this.missingAgents.values()].sort((a, b) => a.agent - b.agent);
  }

  isMissing(agent: number): boolean {
    return this.missingAgents.has(agent);
  }

  private async beat(): Promise<void> {
    const run = (await this.store.op((c) => c.findOneAndUpdate(
      { _id: runId(this.run) },
      { $inc: { [`beats.${this.agent}`]: 1 } },
      { returnDocument: 'after', projection: { beats: 1 } },
    ))) as Pick<RunDoc, 'beats'> | null;
    const beats = run?.beats ?? {};
    const now = epochNow();
    const still: number[] = [];
    for (const [index, last] of this.seen) {
      if (last.state === 'done' || this.missingAgents.has(index)) continue;
      const count = beats[String(index)] ?? 0;
      if (count !== last.beats) this.seen.set(index, { ...last, beats: count, at: now });
      // a beat and a half: a late timer (a busy machine) does not make a live agent look stopped
      else if (now - last.at >= 1.5 * this.intervalMs) still.push(index);
    }
    if (still.length === 0) return;
    // Someone has stopped: done, failed (and why), or gone. Only now are the agents' documents read.
    const docs = await this.store.op((c) =>
      c.find({ kind: 'agent', run: this.run, agent: { $in: still } }).project<Pick<AgentDoc, 'agent' | 'state' | 'error'>>({ agent: 1, state: 1, error: 1 }).toArray(),
    );
    const byIndex = new Map(docs.map((d) => [d.agent, d]));
    for (const index of still) {
      const last = this.seen.get(index)!;
      const doc = byIndex.get(index);
      if (doc?.state === 'done') this.seen.set(index, { ...last, state: 'done' });
      else if (doc?.state === 'failed') this.markMissing(index, last.at, `failed: ${doc.error ?? 'unknown error'}`);
      else if (now - last.at > MISSING_AFTER_BEATS * this.intervalMs) {
        this.markMissing(index, last.at, doc ? `stopped beating (no heartbeat for ${Math.round((now - last.at) / 1000)} s)` : 'its registration disappeared');
      }
    }
  }

  private markMissing(agent: number, lastSeenAt: number, reason: string): void {
    if (!this.missingAgents.has(agent)) this.missingAgents.set(agent, { agent, lastSeenAt, reason });
  }
}
