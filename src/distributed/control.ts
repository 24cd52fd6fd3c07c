/**
 * The control collection: where the agents of a distributed run meet, on the deployment under test
 * (a database of its own, never the benchmarked collection). One collection holds a run's documents,
 * told apart by `kind`; every operation goes through `ControlStore`, which counts them, so the report can
 * show how much traffic the coordination added while measuring.
 */
import { Binary, type Collection, type Document, type MongoClient } from 'mongodb';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { epochNow } from '../mutate/timer.js';
import { formatDuration } from '../util/duration.js';
import { UserError } from '../util/errors.js';
import type { AgreedConfig } from './config.js';

export const DEFAULT_CONTROL_DB = 'ticker_control';
export const CONTROL_COLLECTION = 'runs';
/** The longest one control operation may take (a result upload is a few MB at most). */
export const CONTROL_OP_TIMEOUT_MS = 60_000;

export type RunState = 'joining' | 'started' | 'done';
export type AgentState = 'joined' | 'ready' | 'running' | 'done' | 'failed';

export interface RunDoc {
  _id: string;
  kind: 'run';
  run: string;
  agents: number;
  config: AgreedConfig;
  /** the agent that created the run: its flags are the run's, and it merges the results */
  leader: number;
  state: RunState;
  /** set by the leader while it waits and when it starts (server clock) */
  touchedAt: Date;
  createdAt: Date;
  heartbeatMs: number;
  /** the leader has checked (and if need be loaded) the data set */
  dataReady?: boolean;
  /** epoch ms on the server's clock: when writers start, and when the measured window opens */
  startAtServer?: number;
  windowStartServer?: number;
  /** the agents the run started with */
  started?: number[];
  /** heartbeat counters by agent index, bumped by each agent while it runs */
  beats?: Record<string, number>;
}

export interface AgentDoc {
  _id: string;
  kind: 'agent';
  run: string;
  agent: number;
  host: string;
  pid: number;
  state: AgentState;
  registeredAt: Date;
  error?: string;
}

export interface ResultDoc {
  _id: string;
  kind: 'result';
  run: string;
  agent: number;
  host: string;
  /** deflated JSON: the agent's own LatencyReport, its writers' ledger and its extras */
  payload: Binary;
  listeners: number;
}

export interface ReceiptsDoc {
  _id: string;
  kind: 'receipts';
  run: string;
  agent: number;
  listener: string;
  /** deflated JSON ReceiptsData */
  data: Binary;
}

export type ControlDoc = RunDoc | AgentDoc | ResultDoc | ReceiptsDoc;

export const runId = (run: string): string => run;
export const agentId = (run: string, agent: number): string => `${run}/agent/${agent}`;
export const resultId = (run: string, agent: number): string => `${run}/result/${agent}`;
export const receiptsId = (run: string, agent: number, listener: string): string => `${run}/receipts/${agent}/${listener}`;
export const fenceIdOf = (run: string, agent: number): string => `__ticker_fence_${run}_${agent}`;

const RUN_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The reason a run name cannot be used, or undefined. */
export function badRunName(name: string): string | undefined {
  return RUN_NAME.test(name) ? undefined : `expected 1-64 letters, digits, '.', '_' or '-' (starting with a letter or digit), got "${name}"`;
}

export class ControlStore {
  readonly collection: Collection<ControlDoc>;
  /** epoch ms of each operation, to count those inside the measured window */
  private readonly opTimes: number[] = [];

  constructor(client: MongoClient, readonly dbName: string = DEFAULT_CONTROL_DB, private readonly opTimeoutMs = CONTROL_OP_TIMEOUT_MS) {
    this.collection = client.db(dbName).collection<ControlDoc>(CONTROL_COLLECTION);
  }

  /**
   * Runs one control operation, counted, and bounded: a deployment that stops answering ends the agent
   * with one line instead of leaving it waiting (the driver's own timeouts do not cover a stalled reply).
   */
  async op<T>(run: (c: Collection<ControlDoc>) => Promise<T>): Promise<T> {
    this.opTimes.push(epochNow());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UserError(
        `the control database ${this.dbName} did not answer within ${formatDuration(this.opTimeoutMs)}: is the deployment under test up?`,
      )), this.opTimeoutMs);
    });
    try {
      return await Promise.race([run(this.collection), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  get ops(): number {
    return this.opTimes.length;
  }

  opsBetween(from: number, to: number): number {
    return this.opTimes.filter((t) => t >= from && t <= to).length;
  }
}

export function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: number })?.code === 11000;
}

export function pack(value: unknown): Binary {
  return new Binary(deflateRawSync(Buffer.from(JSON.stringify(value))));
}

export function unpack<T>(binary: Binary | Document): T {
  const bytes = binary instanceof Binary ? binary.buffer : (binary as { buffer: Uint8Array }).buffer;
  return JSON.parse(inflateRawSync(bytes).toString('utf8')) as T;
}
