import type { Document } from 'bson';
import { compare, resolve } from 'mingo/util';
import { collatedCompare, type CollationSpec } from '../storage/collation.js';
import type { Deadline } from './deadline.js';

/** Documents sorted per run before the runs are merged; each run is one slice of work. */
const RUN = 1024;

type Keyed = { keys: unknown[]; doc: Document };

/**
 * `$sort` in slices: keys resolved once, runs sorted, then merged pairwise, yielding between slices.
 * Orders as mingo's $sort does (its comparison of BSON values, stable, `-1` descending per key).
 */
export async function sortInSlices(docs: Document[], spec: Document, deadline: Deadline, collation?: CollationSpec): Promise<Document[]> {
  const compareValues = collatedCompare(collation, compare);
  const fields = Object.keys(spec);
  const directions = fields.map((f) => (spec[f] === -1 ? -1 : 1));
  const keyed: Keyed[] = new Array(docs.length);
  for (let i = 0; i < docs.length; i++) {
    if (deadline.tick()) await deadline.pause();
    keyed[i] = { keys: fields.map((f) => resolve(docs[i], f)), doc: docs[i] };
  }
  const cmp = (a: Keyed, b: Keyed) => {
    for (let k = 0; k < fields.length; k++) {
      const c = compareValues(a.keys[k], b.keys[k]);
      if (c !== 0) return c * directions[k];
    }
    return 0;
  };
  let runs: Keyed[][] = [];
  for (let at = 0; at < keyed.length; at += RUN) {
    runs.push(keyed.slice(at, at + RUN).sort(cmp));
    await deadline.step();
  }
  while (runs.length > 1) {
    const merged: Keyed[][] = [];
    for (let r = 0; r < runs.length; r += 2) merged.push(r + 1 < runs.length ? await merge(runs[r], runs[r + 1], cmp, deadline) : runs[r]);
    runs = merged;
  }
  return (runs[0] ?? []).map((k) => k.doc);
}

/** Stable merge of two sorted runs (ties keep the left run first). */
async function merge(left: Keyed[], right: Keyed[], cmp: (a: Keyed, b: Keyed) => number, deadline: Deadline): Promise<Keyed[]> {
  const out: Keyed[] = new Array(left.length + right.length);
  let i = 0;
  let j = 0;
  let o = 0;
  while (i < left.length && j < right.length) {
    if (deadline.tick()) await deadline.pause();
    out[o++] = cmp(right[j], left[i]) < 0 ? right[j++] : left[i++];
  }
  while (i < left.length) out[o++] = left[i++];
  while (j < right.length) out[o++] = right[j++];
  return out;
}
