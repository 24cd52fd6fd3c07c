/**
 * The configuration every agent of a run must share: the first agent's flags are the run's, and an agent
 * given something else is refused, before any write, with a line naming the flag.
 */
import { UserError } from '../util/errors.js';

/** The flags that shape the measurement, as the user gave them (totals, not this agent's share). */
export interface AgreedConfig {
  agents: number;
  rate: number;
  duration: number;
  warmup: number;
  listeners: number;
  writers: number;
  'full-document': boolean;
  mix: string | null;
  'stagger-threshold': number;
  'cold-shard': string | null;
  db: string;
  collection: string;
  heartbeat: number;
}

const DURATION_FLAGS = new Set(['duration', 'warmup', 'stagger-threshold', 'heartbeat']);

/** The first flag whose value differs, as a refusal, or undefined when they agree. */
export function configMismatch(mine: AgreedConfig, run: AgreedConfig, runName: string): UserError | undefined {
  for (const flag of Object.keys(mine) as (keyof AgreedConfig)[]) {
    if (JSON.stringify(mine[flag]) === JSON.stringify(run[flag])) continue;
    const show = (v: unknown): string => (v === null ? 'nothing' : DURATION_FLAGS.has(flag) ? `${v as number}ms` : String(v));
    return new UserError(
      `--${flag}: this agent was given ${show(mine[flag])}, but run "${runName}" was started with ${show(run[flag])} ` +
        `(the first agent's flags): give every agent the same flags`,
    );
  }
  return undefined;
}

/** This agent's part of the run: 1/N of the rate, of the listeners, and its own block of writer ids. */
export interface AgentShare {
  rate: number;
  listeners: number;
  firstWriterId: number;
  totalWriters: number;
}

export function shareOf(config: AgreedConfig, agent: number): AgentShare {
  const n = config.agents;
  const base = Math.floor(config.listeners / n);
  return {
    rate: config.rate / n,
    listeners: base + (agent < config.listeners % n ? 1 : 0),
    firstWriterId: agent * config.writers,
    totalWriters: n * config.writers,
  };
}

/** Refuses a configuration that cannot be shared (each agent needs a listener to audit the others). */
export function checkShareable(config: AgreedConfig): void {
  if (config.listeners < config.agents) {
    throw new UserError(`--listeners ${config.listeners} is fewer than --agents ${config.agents}: every agent needs at least one listener`, 2);
  }
}
