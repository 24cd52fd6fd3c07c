/**
 * Stagger detection: a gap in which a listener received nothing although writes it follows were
 * committed, and the burst that ended it. Pure: fed receipt and commit times, returns plain data.
 * Measuring code: never prints.
 */

/** Gaps shorter than this are ordinary delivery latency, not staggers (ms). */
export const DEFAULT_STAGGER_THRESHOLD_MS = 250;
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
 * gap ended (`c ≤ r`) belongs to the burst.
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
  ) {}

  /** `receiptAt` and `committedAt` in epoch ms; `id` the document's `_id` as text. */
  feed(receiptAt: number, committedAt: number, id?: string): void {
    const open = this.open;
    if (open && committedAt <= this.openEndsAt) {
      open.burst++;
      if (id !== undefined && open.ids.length < IDS_KEPT) open.ids.push(id);
      this.lastReceipt = receiptAt;
      return;
    }
    this.close();
    const waitingSince = Math.max(this.lastReceipt ?? this.notBefore, committedAt, this.notBefore);
    const held = receiptAt - waitingSince;
    if (Number.isFinite(held) && held > this.thresholdMs) {
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
