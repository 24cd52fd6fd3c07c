import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MutatorSummary } from '../../src/mutate/mutator.js';
import { ORIGINAL_MIX } from '../../src/mutate/mix.js';
import { renderLoadPace, renderLoadPlan, renderMutateSummary } from '../../src/render/summary.js';

const mutate = (over: Partial<MutatorSummary>): MutatorSummary => ({
  requestedRate: 20, achievedRate: 20, elapsedMs: 1_000, mix: ORIGINAL_MIX,
  opsByKind: { familiar: 5, 'a-update': 5, 'z-delete': 5, 'z-insert': 5 }, errorsByKind: { familiar: 0, 'a-update': 0, 'z-delete': 0, 'z-insert': 0 },
  firstErrorByKind: {}, maxBehindMs: 0, unsent: 0, lag: { p50: 0.1, p99: 0.2, max: 0.3, count: 20 } as MutatorSummary['lag'], abandoned: 0, drainMs: 5_000, ...over,
});

describe('summaries say what is known', () => {
  it('mutate: the operations given up on after the drain bound, with the bound', () => {
    assert.doesNotMatch(renderMutateSummary(mutate({}), { colour: false }), /gave up/);
    assert.match(renderMutateSummary(mutate({ abandoned: 7, drainMs: 300 }), { colour: false }), /\n {2}gave up waiting after 0\.3 s for 7 operations still in flight: not counted above, outcome unknown \(the server may still apply them\)$/);
    assert.match(renderMutateSummary(mutate({ abandoned: 1 }), { colour: false }), /for 1 operation still in flight: .*apply it\)$/);
  });

  it('load: a large load is announced with its size and an estimate, and says its measured pace', () => {
    const plan = { namespace: 'market.stocksymbols', planned: 8_000_013, why: 'mongos' as const, isEmbedded: false };
    assert.equal(renderLoadPlan(plan), 'loading 8,000,013 documents into market.stocksymbols (the large data set, because the target is a mongos; --count sets another size): about 7 min at an assumed 20,000 docs/s; Ctrl-C stops it and says how to remove what was loaded');
    assert.match(renderLoadPlan({ ...plan, isEmbedded: true })!, /about 53 s at an assumed 150,000 docs\/s \(the embedded server\)/);
    assert.match(renderLoadPlan({ ...plan, why: 'sharded-flag' })!, /\(the large data set \(--sharded\)\)/);
    assert.equal(renderLoadPlan({ ...plan, planned: 20_013, why: 'default' }), undefined, 'a small load is not announced');
    assert.equal(renderLoadPace(400_000, 8_000_013, 5), 'loaded 400,000 of 8,000,013 in 5 s (80,000 docs/s measured): about 2 min to go');
  });
});
