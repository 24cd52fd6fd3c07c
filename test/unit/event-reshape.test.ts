import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Binary, Long, ObjectId, Timestamp, type Document } from 'bson';
import { Aggregator } from 'mingo';
import { BAIL, compileReshapeStage } from '../../src/embedded/changestream/reshape.js';
import { compileEventPipeline } from '../../src/embedded/changestream/pipeline.js';
import { MINGO_OPTIONS } from '../../src/embedded/storage/query.js';
import { isInt64, markInt64 } from '../../src/embedded/storage/int64.js';

/** Plain objects and arrays copied, BSON values shared: mingo may modify what it is given. */
function clone<T>(v: T): T {
  if (Array.isArray(v)) return v.map(clone) as T;
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, clone(x)])) as T;
  }
  return v;
}

/** What goes on the wire: mingo keeps a missing computed field as `undefined`, which BSON leaves out. */
function wire<T>(v: T): T {
  if (Array.isArray(v)) return v.map(wire) as T;
  if (typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).filter(([, x]) => x !== undefined).map(([k, x]) => [k, wire(x)])) as T;
  }
  return v;
}

const mingo = (stage: Document, event: Document) => wire(new Aggregator([stage], MINGO_OPTIONS).run([clone(event)])[0] as Document | undefined);

const token = { _data: '8263A1B2C3000000012B0429296E1404' };
const ts = new Timestamp({ t: 1700000000, i: 3 });
const EVENTS: Document[] = [
  {
    _id: token, operationType: 'insert', clusterTime: ts, wallTime: new Date(1700000000000),
    fullDocument: { _id: new ObjectId('65a1b2c3d4e5f60718293a4b'), symbol: 'ABC', price: 12.5, tick: 7, tags: ['a', 'b'], lots: [{ q: 1, p: 2 }, { q: 3 }, 5, [{ q: 9 }]] },
    ns: { db: 'ticker', coll: 'quotes' }, documentKey: { _id: new ObjectId('65a1b2c3d4e5f60718293a4b') },
  },
  {
    _id: token, operationType: 'update', clusterTime: ts, wallTime: new Date(1700000000001),
    ns: { db: 'ticker', coll: 'quotes' }, documentKey: { _id: 42 },
    updateDescription: { updatedFields: { tick: 8, price: null, 'a.b': 1 }, removedFields: ['old'], truncatedArrays: [] },
  },
  {
    _id: token, operationType: 'delete', clusterTime: ts, wallTime: new Date(1700000000002),
    ns: { db: 'ticker', coll: 'quotes' }, documentKey: { _id: 'k' },
  },
  { _id: token, operationType: 'replace', clusterTime: ts, fullDocument: { _id: 1, nested: { deep: { x: 1, y: [1, 2] }, bin: new Binary(Buffer.from('hi')) }, tick: null }, ns: { db: 'd', coll: 'c' }, documentKey: { _id: 1 } },
];

// Shapes the fast path compiles: it must give mingo's values on every event (or hand the event to mingo).
const FAST: Document[] = [
  { $project: { operationType: 1, clusterTime: 1, wallTime: 1, documentKey: 1, tick: { $ifNull: ['$updateDescription.updatedFields.tick', '$fullDocument.tick'] } } },
  { $project: { operationType: 1 } },
  { $project: { wallTime: 1, operationType: true } },
  { $project: { 'fullDocument.symbol': 1, 'fullDocument.price': 1, 'ns.coll': 1 } },
  { $project: { fullDocument: { symbol: 1, tick: 1 }, ns: { db: 1 } } },
  { $project: { 'fullDocument.lots.q': 1 } },
  { $project: { 'fullDocument.missing.deeper': 1, 'ns.nope': 1 } },
  { $project: { 'operationType.x': 1 } },
  { $project: { 'clusterTime.t': 1 } }, // a BSON value inside a path: every event goes to mingo
  { $project: { op: '$operationType', coll: '$ns.coll', sym: '$fullDocument.symbol' } },
  { $project: { tags: '$fullDocument.tags', q: '$fullDocument.lots.q' } },
  { $project: { t: { $ifNull: ['$nothing', '$alsoNothing'] }, u: { $ifNull: ['$updateDescription.updatedFields.price', 'fallback'] } } },
  { $project: { t: { $ifNull: ['$fullDocument.tick', '$updateDescription.updatedFields.tick', -1] } } },
  { $project: { kind: 'literal', n: '$documentKey._id' } },
  { $project: { 'ns.db': 1, 'ns.label': '$operationType' } },
  { $project: { 'made.up': '$operationType', 'operationType.sub': '$ns.db' } },
  { $project: { 'fullDocument.tags.x': '$operationType' } },
  { $project: { _id: 1, documentKey: 1 } },
  { $project: { _id: 0, documentKey: 1 } },
  { $project: { _id: 0 } },
  { $project: { fullDocument: 0, ns: 0 } },
  { $project: { 'fullDocument.lots': 0, 'ns.coll': false } },
  { $project: { 'fullDocument.lots.q': 0 } },
  { $project: { 'fullDocument.nested.deep.x': 0, 'operationType.x': 0 } },
  { $project: { 'clusterTime.t': 0 } },
  { $unset: 'fullDocument' },
  { $unset: ['ns.db', 'updateDescription.updatedFields.tick', 'nope'] },
  { $unset: ['fullDocument.lots.q'] },
  { $addFields: { tick: { $ifNull: ['$updateDescription.updatedFields.tick', '$fullDocument.tick'] } } },
  { $addFields: { operationType: 'changed', extra: 1, flag: false, nil: null } },
  { $set: { wallTime: '$missing', copy: '$ns' } },
  { $set: { 'ns.db': 'other', 'ns.added': '$operationType' } },
  { $set: { 'fullDocument.symbol': 'X' } },
  { $set: { 'fullDocument.lots.q': 0 } }, // $addFields below an array or a missing field: mingo's
  { $set: { 'updateDescription.updatedFields.extra': '$documentKey._id' } },
];

// Shapes left to mingo: expressions beyond paths and $ifNull, variables, mixed projections, collisions.
const MINGO: Document[] = [
  { $project: { a: { $add: [1, 2] } } },
  { $project: { a: '$$ROOT' } },
  { $project: { a: 1, b: 0 } },
  { $project: { a: 1, 'a.b': 1 } },
  { $project: { a: 5 } },
  { $project: { a: null } },
  { $project: { '_id._data': 1 } },
  { $project: { _id: '$_id' } },
  { $project: {} },
  { $addFields: { a: { b: 1 } } },
  { $addFields: { a: ['$x'] } },
  { $unset: [] },
  { $replaceRoot: { newRoot: '$fullDocument' } },
];

describe('change-stream reshaping fast path', () => {
  for (const stage of FAST) {
    it(`gives mingo's values: ${JSON.stringify(stage)}`, () => {
      const step = compileReshapeStage(stage);
      assert.ok(step, 'compiled');
      let compiled = 0;
      for (const event of EVENTS) {
        const before = clone(event);
        const out = step(event);
        assert.deepStrictEqual(event, before, 'the event is not modified');
        if (out === BAIL) continue;
        compiled++;
        assert.deepStrictEqual(out, mingo(stage, event));
      }
      if (!/clusterTime\.t|lots\.q":0/.test(JSON.stringify(stage))) assert.ok(compiled > 0, 'at least one event takes the fast path');
    });
  }

  it('leaves other shapes to mingo', () => {
    for (const stage of MINGO) assert.equal(compileReshapeStage(stage), undefined, JSON.stringify(stage));
  });

  it("orders fields as mongod: an inclusion keeps the event's order with _id first, computed fields after", () => {
    const [, update] = EVENTS;
    const out = compileReshapeStage(FAST[0])!(update) as Document;
    assert.deepStrictEqual(Object.keys(out), ['_id', 'operationType', 'clusterTime', 'wallTime', 'documentKey', 'tick']);
    const mixed = compileReshapeStage({ $project: { r: '$ns.db', documentKey: 1, 'ns.coll': 1, operationType: 1 } })!(update) as Document;
    assert.deepStrictEqual(Object.keys(mixed), ['_id', 'operationType', 'ns', 'documentKey', 'r']);
    const nested = compileReshapeStage({ $project: { 'ns.label': '$operationType', 'ns.coll': 1, 'ns.db': 1 } })!(update) as Document;
    assert.deepStrictEqual(Object.keys(nested.ns), ['db', 'coll', 'label']);
  });

  it('orders fields as mongod: $addFields replaces in place and appends; an exclusion keeps the order', () => {
    const [insert] = EVENTS;
    const set = compileReshapeStage({ $set: { new: 1, operationType: 'x', ns: '$missing' } })!(insert) as Document;
    assert.deepStrictEqual(Object.keys(set), ['_id', 'operationType', 'clusterTime', 'wallTime', 'fullDocument', 'documentKey', 'new']);
    const unset = compileReshapeStage({ $unset: ['clusterTime', 'fullDocument.price'] })!(insert) as Document;
    assert.deepStrictEqual(Object.keys(unset), ['_id', 'operationType', 'wallTime', 'fullDocument', 'ns', 'documentKey']);
    assert.deepStrictEqual(Object.keys(unset.fullDocument), ['_id', 'symbol', 'tick', 'tags', 'lots']);
  });

  it('keeps an int64 an int64 where it copies it, and drops the mark where a value replaces it', () => {
    const doc = { _id: token, big: 5, nested: { n: 6 } };
    markInt64(doc, 'big');
    markInt64(doc.nested, 'n');
    const out = compileReshapeStage({ $project: { big: 1, copy: '$nested.n', 'nested.n': 1 } })!(doc) as Document;
    assert.ok(isInt64(out, 'big') && isInt64(out, 'copy') && isInt64(out.nested, 'n'));
    const set = compileReshapeStage({ $set: { big: 'text' } })!(doc) as Document;
    assert.ok(!isInt64(set, 'big'));
    assert.ok(isInt64(doc, 'big'), 'the input keeps its mark');
    assert.ok(Long.isLong(Long.fromNumber(5)));
  });

  it('a whole event pipeline gives what mingo gives, _id first, filters and bailing events included', () => {
    const pipelines: Document[][] = [
      ...FAST.filter((stage) => stage.$project?._id !== 0).map((stage) => [stage]), // no _id: a fatal error, below
      [{ $match: { operationType: { $in: ['insert', 'update'] } } }, FAST[0]],
      [FAST[28], { $match: { tick: { $gte: 8 } } }, { $project: { tick: 1 } }],
      [{ $project: { 'fullDocument.lots.q': 1, operationType: 1 } }, { $set: { 'fullDocument.n': 1 } }],
      [{ $addFields: { a: { $add: [1, 2] } } }, { $project: { a: 1 } }],
    ];
    for (const pipeline of pipelines) {
      const run = compileEventPipeline(pipeline);
      const aggregator = new Aggregator(pipeline, MINGO_OPTIONS);
      for (const event of EVENTS) {
        const out = run(event);
        const expected = aggregator.run([clone(event)])[0] as Document | undefined;
        assert.deepStrictEqual(wire(out), wire(expected), JSON.stringify(pipeline));
        if (out) assert.equal(Object.keys(out)[0], '_id', JSON.stringify(pipeline));
      }
    }
    // mingo modifies what it is given (here: an exclusion through an array); the shared event must not change
    const [insert] = EVENTS;
    const before = clone(insert);
    compileEventPipeline([{ $project: { 'fullDocument.lots.q': 0 } }])(insert);
    compileEventPipeline([{ $addFields: { 'fullDocument.symbol': { $concat: ['$fullDocument.symbol', '!'] } } }])(insert);
    assert.deepStrictEqual(insert, before);
    const noId = compileEventPipeline([{ $project: { _id: 0, operationType: 1 } }]);
    assert.throws(() => noId(EVENTS[0]), { code: 280 });
  });
});
