import { Long, ObjectId, type Document } from 'bson';

export interface TopologyOptions {
  host: string;
  port: number;
  replicaSet: string;
  /** 'mongos' makes hello and serverStatus answer as a router. */
  role: 'replicaSetPrimary' | 'mongos';
}

/**
 * How this server presents itself to drivers' server discovery. A change (step-down, restart) bumps
 * topologyVersion.counter and wakes every awaitable hello, exactly as mongod does.
 */
export class Topology {
  readonly processId = new ObjectId();
  private counter = 0;
  private waiters = new Set<() => void>();
  writablePrimary = true;
  readonly electionId = new ObjectId('7fffffff0000000000000001');

  constructor(public options: TopologyOptions) {}

  get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  get version(): Document {
    return { processId: this.processId, counter: Long.fromNumber(this.counter) };
  }

  isCurrent(version: Document | undefined): boolean {
    if (!version?.processId || !(version.processId instanceof ObjectId)) return false;
    return version.processId.equals(this.processId) && Number(version.counter) === this.counter;
  }

  /** Announce a change: awaitable hellos answer at once with the new state. */
  changed(): void {
    this.counter++;
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const wake of woken) wake();
  }

  waitForChange(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
}
