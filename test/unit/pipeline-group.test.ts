import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Document } from 'bson';
import { Aggregator } from 'mingo';
import { unlimited } from '../../src/embedded/exec/deadline.js';
import { runPipelineInSlices } from '../../src/embedded/exec/pipeline.js';
import { mingoOptions } from '../../src/embedded/storage/query.js';

/** The same pipeline in one mingo run: what the sliced execution must reproduce exactly. */
function whole(docs: Document[], pipeline: Document[]): unknown[] {
  return new Aggregator(pipeline, mingoOptions({})).run(docs);
}

// Values a group meets in practice: integers, missing fields, nulls, strings, booleans; floats where asked.
function docs(n: number, floats: boolean): Document[] {
  return Array.from({ length: n }, (_, i) => {
    const d: Record<string, unknown> = { _id: i, g: i % 3 === 0 ? 'a' : 'b' };
    if (i % 7 !== 0) d.v = floats ? i / 3 : i % 1000;
    if (i % 11 === 0) d.v = null;
    if (i % 13 === 0) d.v = 'str';
    if (i % 17 === 0) d.v = true;
    return d;
  });
}

const accumulators = { n: { $count: {} }, s: { $sum: '$v' }, one: { $sum: 1 }, avg: { $avg: '$v' }, min: { $min: '$v' }, max: { $max: '$v' }, first: { $first: '$v' }, last: { $last: '$v' }, all: { $push: '$v' } };

describe('$group over one huge group, accumulated in parts', () => {
  for (const floats of [false, true]) {
    it(`gives exactly one mingo run's result (${floats ? 'float values: summed in one pass' : 'integer values: merged'})`, async () => {
      const input = docs(20_000, floats);
      for (const pipeline of [[{ $group: { _id: null, ...accumulators } }], [{ $group: { _id: '$g', ...accumulators } }, { $sort: { _id: 1 } }]]) {
        assert.deepEqual(await runPipelineInSlices(input, pipeline, unlimited()), whole(input, pipeline));
      }
    });
  }

  it('an all-null or empty part does not change $min/$max/$avg', async () => {
    const input = [...Array.from({ length: 5000 }, (_, i) => ({ _id: i })), { _id: 'x', v: 4 }, { _id: 'y', v: 9 }];
    const pipeline = [{ $group: { _id: null, min: { $min: '$v' }, max: { $max: '$v' }, avg: { $avg: '$v' }, s: { $sum: '$v' } } }];
    assert.deepEqual(await runPipelineInSlices(input, pipeline, unlimited()), [{ _id: null, min: 4, max: 9, avg: 6.5, s: 13 }]);
    assert.deepEqual(await runPipelineInSlices(input, pipeline, unlimited()), whole(input, pipeline));
  });
});
