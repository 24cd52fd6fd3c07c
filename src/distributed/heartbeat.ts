/**
 * Heartbeats while a run is on: each agent bumps a counter in its own document and reads the others'.
 * A counter that stops moving for MISSING_AFTER_BEATS of this agent's beats marks that agent missing:
 * no clocks are compared, so skewed machines never look dead. Two control operations per beat.
 */
import { epochNow } from './time.js';
import { agentId, type AgentDoc, type AgentState, type ControlStore } from './control.js';

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
  private state: AgentState = 'running';
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

  async stop(state: AgentState): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.state = state;
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
    await this.store.op((c) => c.updateOne({ _id: agentId(this.run, this.agent) }, { $inc: { beats: 1 }, $set: { state: this.state } }));
    const agents = await this.store.op((c) =>
      c.find({ kind: 'agent', run: this.run }).project<Pick<AgentDoc, 'agent' | 'beats' | 'state' | 'error'>>({ agent: 1, beats: 1, state: 1, error: 1 }).toArray(),
    );
    const now = epochNow();
    const byIndex = new Map(agents.map((a) => [a.agent, a]));
    for (const [index, last] of this.seen) {
      const doc = byIndex.get(index);
      if (doc && (doc.beats !== last.beats || doc.state !== last.state)) {
        this.seen.set(index, { beats: doc.beats, at: now, state: doc.state });
        if (doc.state === 'failed') this.markMissing(index, last.at, `failed: ${doc.error ?? 'unknown error'}`);
        continue;
      }
      if (last.state === 'done' || this.missingAgents.has(index)) continue;
      if (now - last.at > MISSING_AFTER_BEATS * this.intervalMs) {
        this.markMissing(index, last.at, doc ? `stopped beating (no heartbeat for ${Math.round((now - last.at) / 1000)} s)` : 'its registration disappeared');
      }
    }
  }

  private markMissing(agent: number, lastSeenAt: number, reason: string): void {
    if (!this.missingAgents.has(agent)) this.missingAgents.set(agent, { agent, lastSeenAt, reason });
  }
}
