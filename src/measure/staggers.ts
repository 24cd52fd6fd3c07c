/**
 * Staggers, one definition for every command: a stagger is a gap longer than the threshold in which a
 * listener received nothing although something it follows had been committed, ended by a burst of the
 * held events. `bench latency` knows each write's commit (its acknowledgement) and uses
 * `StaggerDetector`; `trace`/`display` only see the stream, and use `HoldBackTracker`: the replies'
 * cluster time moving on while the post-batch resume token stays behind is the server holding events
 * back (a mongos waits for its slowest shard). Pure: fed times, returns plain data. Never prints.
 */

/** Gaps shorter than this are ordinary delivery latency, not staggers (ms). */
export const DEFAULT_STAGGER_THRESHOLD_MS = 250;

/** Whether a gap of `gapMs` with committed events held back is a stagger. The one rule. */
export function isStaggerGap(gapMs: number, thresholdMs: number): boolean {
  return gapMs > thresholdMs;
}

/**
 * How long a live view's getMore may wait for news: half the threshold (between 50 ms and mongod's
 * 1 s), so a stagger just over the threshold is seen while it happens, not only after it.
 */
export function awaitTimeForThreshold(thresholdMs: number): number {
  return Math.round(Math.min(1_000, Math.max(50, thresholdMs / 2)));
}
/** Document ids kept per stagger, to find the shard that held the burst back. */
const IDS_KEPT = 32;

export interface DetectedStagger {
  /** epoch ms: when the listener last had no reason to wait (its previous receipt, or the first held commit) */
  startAt: number;
  /** ms during which committed events were held back */
  gapMs: number;
  /** events released in the burst that ended the gap (committed before it ended) */
  burst: number;
  /** some document ids of the burst, first ones first */
  ids: string[];
}

/**
 * One per listener. Feed events in receipt order. An event committed at `c` and received at `r` after the
 * previous receipt `p` opens a stagger when `r − max(p, c)` exceeds the threshold: for that long the
 * server held a committed event and the listener got nothing. Every later event committed before the
 * gap ended (`c ≤ r`) and received without a new silence belongs to the burst.
 */
export class StaggerDetector {
  private lastReceipt: number | undefined;
  private open: DetectedStagger | undefined;
  private openEndsAt = 0;
  private readonly done: DetectedStagger[] = [];

  constructor(
    readonly thresholdMs: number = DEFAULT_STAGGER_THRESHOLD_MS,
    /** receipts before this are not judged (the measured window's start, epoch ms) */
    private readonly notBefore = -Infinity,
    private readonly onStagger?: (stagger: DetectedStagger) => void,
    /** gaps that begin after this are not judged (the run's tail, epoch ms) */
    private readonly notAfter = Infinity,
  ) {}

  /** `receiptAt` and `committedAt` in epoch ms; `id` the document's `_id` as text. */
  feed(receiptAt: number, committedAt: number, id?: string): void {
    const open = this.open;
    // The burst is what the same release delivered: an event committed before the gap ended but received
    // after a new silence was held back again, and opens a gap of its own.
    if (open && committedAt <= this.openEndsAt && receiptAt - this.lastReceipt! <= this.thresholdMs) {
      open.burst++;
      if (id !== undefined && open.ids.length < IDS_KEPT) open.ids.push(id);
      this.lastReceipt = receiptAt;
      return;
    }
    this.close();
    const waitingSince = Math.max(this.lastReceipt ?? this.notBefore, committedAt, this.notBefore);
    const held = receiptAt - waitingSince;
    if (Number.isFinite(held) && isStaggerGap(held, this.thresholdMs) && waitingSince < this.notAfter) {
      this.open = { startAt: waitingSince, gapMs: held, burst: 1, ids: id === undefined ? [] : [id] };
      this.openEndsAt = receiptAt;
    }
    this.lastReceipt = receiptAt;
  }

  /** Closes the stagger in progress (end of run) and returns every stagger found, in time order. */
  finish(): DetectedStagger[] {
    this.close();
    return this.done;
  }

  private close(): void {
    if (!this.open) return;
    this.done.push(this.open);
    this.onStagger?.(this.open);
    this.open = undefined;
  }
}

/** Keeps the `n` longest gaps seen (cheap: n is small). */
export function keepWorst<T extends { gapMs: number }>(list: T[], item: T, n: number): void {
  if (list.length < n) {
    list.push(item);
    return;
  }
  let min = 0;
  for (let i = 1; i < list.length; i++) if (list[i]!.gapMs < list[min]!.gapMs) min = i;
  if (item.gapMs > list[min]!.gapMs) list[min] = item;
}

/**
 * Which shard held a burst back, from the shards that own the burst's documents. On a mongos a burst is
 * released when the slowest shard reports a later time: when some shards own none of the burst's
 * documents, they are the ones that held it (an idle or lagging shard; `a,b` when several); when every
 * shard has documents in it, the shard owning the first (longest-held) document is named.
 * Returns undefined when nothing is known.
 */
export function attributeShard(
  ids: readonly string[],
  shardOf: (id: string) => string | undefined,
  allShards: readonly string[],
): string | undefined {
  if (allShards.length === 0 || ids.length === 0) return undefined;
  const owners = new Set<string>();
  for (const id of ids) {
    const shard = shardOf(id);
    if (shard !== undefined) owners.add(shard);
  }
  if (owners.size === 0) return undefined;
  const idle = allShards.filter((s) => !owners.has(s));
  if (idle.length > 0) return idle.join(',');
  return shardOf(ids[0]!);
}

/** A cluster time as `{ t, i }` (a BSON Timestamp fits). */
export interface ClusterTime {
  t: number;
  i: number;
}

function compareTimes(a: ClusterTime, b: ClusterTime): number {
  return a.t !== b.t ? a.t - b.t : a.i - b.i;
}

/**
 * The cluster time a resume token stands at. Tokens of MongoDB 4.2 and later (and the embedded server's)
 * are hex KeyStrings that begin with the type byte 0x82 and the 8-byte timestamp; anything else: null.
 */
export function resumeTokenTime(token: unknown): ClusterTime | null {
  const data = token && typeof token === 'object' ? (token as { _data?: unknown })._data : undefined;
  if (typeof data !== 'string' || data.length < 18 || (data[0] !== '8' || data[1] !== '2')) return null;
  const t = Number.parseInt(data.slice(2, 10), 16);
  const i = Number.parseInt(data.slice(10, 18), 16);
  return Number.isFinite(t) && Number.isFinite(i) ? { t, i } : null;
}

/** A stagger a live view saw: same shape as the bench's, without document ids. */
export interface LiveStagger {
  /** epoch ms: when the first held event's cluster time was first reported (or the previous receipt, if later) */
  startAt: number;
  gapMs: number;
  /** events released when the hold ended */
  burst: number;
}

/** How long a burst may take to arrive after the hold ended, before the stagger is settled. */
const BURST_SETTLE_MS = 100;
/** Cluster times remembered at most (one per reply that moved it). */
const SEEN_KEPT = 4_096;

/**
 * One per change stream. Fed what the driver sees of each reply: `clusterTime` (the reply's `$clusterTime`
 * when it moved on), `resumePoint` (the post-batch resume token, once the batch is consumed) and
 * `delivered` (each event). The stream is held back while a reported cluster time lies beyond the resume
 * point and nothing arrives; `heldMs` says for how long. When the hold ends with events released, the gap
 * is measured from when the first released event's cluster time was first reported (or the previous
 * receipt) to the release: a stagger if longer than the threshold, as `StaggerDetector` judges.
 */
export class HoldBackTracker {
  /** Cluster times reported, increasing, with the local time each was first seen. */
  private readonly seen: Array<{ time: ClusterTime; at: number }> = [];
  /** Index of the first reported time beyond the resume point. */
  private head = 0;
  private resume: ClusterTime | null = null;
  private lastDelivery = -Infinity;
  /** A hold that ended: the events released up to `upTo` make its burst. */
  private settling: { endedAt: number; since: number; upTo: ClusterTime; firstAt: number | null; burst: number } | undefined;
  private readonly done: LiveStagger[] = [];

  constructor(
    readonly thresholdMs: number = DEFAULT_STAGGER_THRESHOLD_MS,
    private readonly onStagger?: (stagger: LiveStagger) => void,
  ) {}

  /** A reply said the cluster has reached `time` (seen at `at`, epoch ms). */
  clusterTime(time: ClusterTime, at: number): void {
    const last = this.seen[this.seen.length - 1];
    if (last && compareTimes(time, last.time) <= 0) return;
    if (this.seen.length - this.head >= SEEN_KEPT) return; // only the oldest times matter
    this.seen.push({ time: { t: time.t, i: time.i }, at });
  }

  /** The stream's resume point (its post-batch token) reached `time`. */
  resumePoint(time: ClusterTime, at: number): void {
    if (this.resume && compareTimes(time, this.resume) <= 0) return;
    this.resume = time;
    this.release(at);
  }

  /** An event at cluster time `time` was received at `at`. */
  delivered(time: ClusterTime | null, at: number): void {
    const settling = this.settling;
    if (settling && time && compareTimes(time, settling.upTo) <= 0) {
      settling.burst++;
      settling.firstAt ??= this.firstSeenAtOrAfter(time);
    }
    if (!settling && this.isHeld(at)) this.endHold(at, time);
    this.lastDelivery = at;
    if (time) this.resumePoint(time, at);
  }

  /** Milliseconds the stream has been held back at `now` (0 when it is not). */
  heldMs(now: number): number {
    const oldest = this.seen[this.head];
    if (!oldest) return 0;
    return Math.max(0, now - Math.max(oldest.at, this.lastDelivery));
  }

  /** Whether the stream is held back past the threshold now (a stagger in progress). */
  isHeld(now: number): boolean {
    return isStaggerGap(this.heldMs(now), this.thresholdMs);
  }

  /** Call now and then (a timer): settles a finished hold once its burst had time to arrive. */
  tick(now: number): void {
    if (this.settling && now - this.settling.endedAt >= BURST_SETTLE_MS) this.settle();
  }

  /** Settles what is pending and returns every stagger seen, in time order. */
  finish(): LiveStagger[] {
    this.settle();
    return this.done;
  }

  private release(at: number): void {
    const resume = this.resume!;
    const wasHeld = this.isHeld(at);
    let passed = this.head;
    while (passed < this.seen.length && compareTimes(this.seen[passed]!.time, resume) <= 0) passed++;
    if (passed === this.head) return;
    if (wasHeld && !this.settling) this.endHold(at, null);
    this.head = passed;
    // Keep what a settling burst may still look up; drop the rest.
    if (!this.settling && this.head > 1_024) {
      this.seen.splice(0, this.head);
      this.head = 0;
    }
  }

  private endHold(at: number, firstTime: ClusterTime | null): void {
    const last = this.seen[this.seen.length - 1];
    if (!last) return;
    this.settling = {
      endedAt: at, since: this.lastDelivery, upTo: last.time, burst: firstTime ? 1 : 0,
      firstAt: firstTime ? this.firstSeenAtOrAfter(firstTime) : null,
    };
  }

  /** When a cluster time at or after `time` was first reported: the earliest the event was known committed. */
  private firstSeenAtOrAfter(time: ClusterTime): number | null {
    for (let k = 0; k < this.seen.length; k++) if (compareTimes(this.seen[k]!.time, time) >= 0) return this.seen[k]!.at;
    return null;
  }

  private settle(): void {
    const s = this.settling;
    if (!s) return;
    this.settling = undefined;
    if (s.burst === 0 || s.firstAt === null) return; // nothing we follow was held: not a stagger
    const startAt = Math.max(s.firstAt, s.since);
    const gapMs = s.endedAt - startAt;
    if (!isStaggerGap(gapMs, this.thresholdMs)) return;
    const stagger: LiveStagger = { startAt, gapMs, burst: s.burst };
    this.done.push(stagger);
    this.onStagger?.(stagger);
  }
}
