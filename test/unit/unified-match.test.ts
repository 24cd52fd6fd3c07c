import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { knownFailure } from '../conformance/known-failures.js';
import { match, MatchError, type MatchContext } from '../conformance/unified/match.js';

const NO_ENTITIES: MatchContext = {
  entity: (name) => { throw new Error(`no entity ${name}`); },
  sessionLsid: (name) => { throw new Error(`no session ${name}`); },
};

describe('unified-format matching (spec runner)', () => {
  it('allows extra fields at the root only, as the format says', () => {
    match({ a: 1 }, { a: 1, extra: true }, NO_ENTITIES);
    assert.throws(() => match({ a: { b: 1 } }, { a: { b: 1, extra: true } }, NO_ENTITIES), MatchError);
  });

  it('lenient (what the Node runner does for what the driver built): extra fields at every depth, values still compared', () => {
    const sent = { commitTransaction: 1, writeConcern: { w: 'majority', wtimeout: 10000 } };
    match({ commitTransaction: 1, writeConcern: { w: 'majority' } }, sent, NO_ENTITIES, true, '', 'lenient');
    assert.throws(() => match({ writeConcern: { w: 'majority' } }, sent, NO_ENTITIES), /unexpected field\(s\) wtimeout/);
    assert.throws(() => match({ writeConcern: { w: 1 } }, sent, NO_ENTITIES, true, '', 'lenient'), MatchError);
    assert.throws(() => match({ writeConcern: { $$exists: false } }, sent, NO_ENTITIES, true, '', 'lenient'), MatchError);
  });

  it('known failures limited to one mode hold only in that mode', () => {
    const file = 'transaction-options.json';
    const test = 'readPreference inherited from client';
    assert.match(knownFailure('transactions', file, test, 'replicaset') ?? '', /one member/);
    assert.equal(knownFailure('transactions', file, test, 'sharded'), undefined);
  });
});
