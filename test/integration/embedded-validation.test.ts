import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type MongoClient, ObjectId, type Db, type Document, type MongoServerError } from 'mongodb';
import { serverError } from '../helpers/server-error.js';
import { type TestTarget, openTestDb, closeTestDb } from '../helpers/target.js';

// Issue 9: collection validators ($jsonSchema and query operators), validationLevel/validationAction,
// bypassDocumentValidation, and DocumentValidationFailure (121) with errInfo as mongod 7.0 reports it.

let target: TestTarget;
let client: MongoClient;
let db: Db;

before(async () => {
  ({ target, client, db } = await openTestDb('ticker_validation'));
});

after(() => closeTestDb({ target, client, db }));

/** The errInfo of a failed write, wherever the driver put it (write error or command error). */
function errInfoOf(err: MongoServerError): Document {
  const info = (err as unknown as { errInfo?: Document }).errInfo ?? err.errorResponse?.errInfo;
  assert.ok(info, `errInfo in ${JSON.stringify(err)}`);
  return info;
}

const PEOPLE_SCHEMA = {
  bsonType: 'object',
  required: ['name', 'age'],
  properties: {
    name: { bsonType: 'string', minLength: 2, description: 'a name of two letters or more' },
    age: { bsonType: 'int', minimum: 0, maximum: 150 },
    role: { enum: ['admin', 'user'] },
    tags: { bsonType: 'array', items: { bsonType: 'string' }, uniqueItems: true },
  },
  additionalProperties: false,
  patternProperties: { '^x_': { bsonType: 'string' } },
};

describe('$jsonSchema validators', () => {
  before(async () => {
    await db.createCollection('people', { validator: { $jsonSchema: { ...PEOPLE_SCHEMA, properties: { _id: {}, ...PEOPLE_SCHEMA.properties } } } });
  });

  it('a document that satisfies the schema is written', async () => {
    const c = db.collection('people');
    await c.insertOne({ name: 'Ada', age: 36, role: 'admin', tags: ['math'], x_note: 'first' });
    assert.equal(await c.countDocuments(), 1);
  });

  it('a failing insert is DocumentValidationFailure (121) with failingDocumentId and the rules not satisfied', async () => {
    const c = db.collection('people');
    const _id = new ObjectId();
    const err = await serverError(c.insertOne({ _id, name: 'B', age: -1, role: 'root', extra: true }));
    assert.equal(err.code, 121);
    assert.match(err.message, /Document failed validation/);
    const info = errInfoOf(err);
    assert.ok(_id.equals(info.failingDocumentId));
    assert.equal(info.details.operatorName, '$jsonSchema');
    const rules: Document[] = info.details.schemaRulesNotSatisfied;
    const byName = Object.fromEntries(rules.map((r) => [r.operatorName, r]));
    assert.deepEqual(byName.additionalProperties.additionalProperties, ['extra']);
    const props = Object.fromEntries(byName.properties.propertiesNotSatisfied.map((p: Document) => [p.propertyName, p]));
    assert.deepEqual(props.name.details, [{ operatorName: 'minLength', specifiedAs: { minLength: 2 }, reason: 'specified string length was not satisfied', consideredValue: 'B' }]);
    assert.equal(props.name.description, 'a name of two letters or more');
    assert.deepEqual(props.age.details, [{ operatorName: 'minimum', specifiedAs: { minimum: 0 }, reason: 'comparison failed', consideredValue: -1 }]);
    assert.deepEqual(props.role.details, [{ operatorName: 'enum', specifiedAs: { enum: ['admin', 'user'] }, reason: 'value was not found in enum', consideredValue: 'root' }]);
    assert.equal(await c.countDocuments({ _id }), 0);
  });

  it('required, bsonType, items and uniqueItems are reported as mongod reports them', async () => {
    const c = db.collection('people');
    let info = errInfoOf(await serverError(c.insertOne({ name: 'Cy' })));
    assert.deepEqual(info.details.schemaRulesNotSatisfied, [{ operatorName: 'required', specifiedAs: { required: ['name', 'age'] }, missingProperties: ['age'] }]);
    info = errInfoOf(await serverError(c.insertOne({ name: 'Cy', age: 4.5 })));
    const age = info.details.schemaRulesNotSatisfied[0].propertiesNotSatisfied[0];
    assert.equal(age.propertyName, 'age');
    assert.deepEqual(age.details[0], { operatorName: 'bsonType', specifiedAs: { bsonType: 'int' }, reason: 'type did not match', consideredValue: 4.5, consideredType: 'double' });
    info = errInfoOf(await serverError(c.insertOne({ name: 'Cy', age: 4, tags: ['a', 'a'] })));
    assert.equal(info.details.schemaRulesNotSatisfied[0].propertiesNotSatisfied[0].details[0].reason, 'found a duplicate item');
    info = errInfoOf(await serverError(c.insertOne({ name: 'Cy', age: 4, tags: ['a', 7] })));
    const items = info.details.schemaRulesNotSatisfied[0].propertiesNotSatisfied[0].details[0];
    assert.equal(items.operatorName, 'items');
    assert.equal(items.itemIndex, 1);
  });

  it('updates, replacements, findAndModify and upserts are validated; a failing one changes nothing', async () => {
    const c = db.collection('people');
    const ada = await c.findOne({ name: 'Ada' });
    assert.equal((await serverError(c.updateOne({ name: 'Ada' }, { $set: { age: 'old' } }))).code, 121);
    assert.equal((await serverError(c.replaceOne({ name: 'Ada' }, { name: 'Ada' }))).code, 121);
    const fam = await serverError(c.findOneAndUpdate({ name: 'Ada' }, { $set: { role: 'x' } }));
    assert.equal(fam.code, 121);
    assert.ok(ada!._id.equals(errInfoOf(fam).failingDocumentId));
    assert.equal((await serverError(c.updateOne({ name: 'Zed' }, { $set: { age: 'x' } }, { upsert: true }))).code, 121);
    assert.equal(await c.countDocuments({ name: 'Zed' }), 0, 'nothing was upserted');
    assert.deepEqual(await c.findOne({ name: 'Ada' }), ada, 'Ada is unchanged');
  });

  it('bypassDocumentValidation lets a write through', async () => {
    const c = db.collection('people');
    await c.insertOne({ name: 'Q', junk: 1 }, { bypassDocumentValidation: true });
    await c.updateOne({ name: 'Q' }, { $set: { more: 2 } }, { bypassDocumentValidation: true });
    assert.equal((await c.findOne({ name: 'Q' }))?.more, 2);
    await c.deleteOne({ name: 'Q' });
  });

  it('a malformed schema is refused at create (FailedToParse)', async () => {
    let err = await serverError(db.createCollection('bad1', { validator: { $jsonSchema: { bsonType: 'object', format: 'email' } } }));
    assert.equal(err.code, 9);
    assert.match(err.message, /not currently supported/);
    err = await serverError(db.createCollection('bad2', { validator: { $jsonSchema: { nope: 1 } } }));
    assert.equal(err.code, 9);
    assert.match(err.message, /Unknown \$jsonSchema keyword: nope/);
    err = await serverError(db.createCollection('bad3', { validator: { $jsonSchema: { type: 'integer' } } }));
    assert.equal(err.code, 9);
    err = await serverError(db.createCollection('bad4', { validator: { a: 1 }, validationLevel: 'sometimes' as never }));
    assert.equal(err.code, 2);
    assert.deepEqual(await db.listCollections({ name: /^bad/ }).toArray(), []);
  });

  it('$jsonSchema also works as a query operator in find', async () => {
    const found = await db.collection('people').find({ $jsonSchema: { required: ['role'] } }).toArray();
    assert.deepEqual(found.map((d) => d.name), ['Ada']);
  });
});

describe('query-operator validators, levels and actions', () => {
  it('a query validator refuses with its operator and reason in errInfo.details', async () => {
    await db.createCollection('q', { validator: { qty: { $gte: 0 }, sku: { $type: 'string' } } });
    const c = db.collection<any>('q'); // eslint-disable-line @typescript-eslint/no-explicit-any
    await c.insertOne({ _id: 1, qty: 1, sku: 'a' });
    const info = errInfoOf(await serverError(c.insertOne({ _id: 2, qty: -5, sku: 'b' })));
    assert.equal(info.failingDocumentId, 2);
    assert.deepEqual(info.details, {
      operatorName: '$and',
      clausesNotSatisfied: [{ index: 0, details: { operatorName: '$gte', specifiedAs: { qty: { $gte: 0 } }, reason: 'comparison failed', consideredValue: -5 } }],
    });
    const missing = errInfoOf(await serverError(c.insertOne({ _id: 3, qty: 1 })));
    assert.deepEqual(missing.details.clausesNotSatisfied, [{ index: 1, details: { operatorName: '$type', specifiedAs: { sku: { $type: 'string' } }, reason: 'field was missing' } }]);
  });

  it('collMod installs a validator; listCollections shows it with its level and action', async () => {
    const c = db.collection<any>('m'); // eslint-disable-line @typescript-eslint/no-explicit-any
    await c.insertMany([{ _id: 1, x: 'ok' }, { _id: 2, x: 5 }]);
    await db.command({ collMod: 'm', validator: { x: { $type: 'string' } }, validationLevel: 'moderate', validationAction: 'error' });
    const [info] = await db.listCollections({ name: 'm' }).toArray();
    assert.deepEqual((info as Document).options, { validator: { x: { $type: 'string' } }, validationLevel: 'moderate', validationAction: 'error' });
    // Moderate: a document that was already invalid may be updated; a valid one may not become invalid.
    await c.updateOne({ _id: 2 }, { $set: { y: 1 } });
    assert.equal((await serverError(c.updateOne({ _id: 1 }, { $set: { x: 1 } }))).code, 121);
    // Inserts are always checked.
    assert.equal((await serverError(c.insertOne({ _id: 3, x: 3 }))).code, 121);
  });

  it('validationAction warn and validationLevel off let invalid documents through', async () => {
    await db.createCollection('w', { validator: { x: { $type: 'string' } }, validationAction: 'warn' });
    await db.collection('w').insertOne({ x: 1 });
    await db.createCollection('off', { validator: { x: { $type: 'string' } }, validationLevel: 'off' });
    await db.collection('off').insertOne({ x: 1 });
    assert.equal(await db.collection('w').countDocuments() + await db.collection('off').countDocuments(), 2);
  });

  it('$out and $merge into a validated collection are validated unless bypassed', async () => {
    await db.createCollection('target', { validator: { n: { $gte: 10 } } });
    const source = db.collection<any>('src'); // eslint-disable-line @typescript-eslint/no-explicit-any
    await source.insertMany([{ _id: 1, n: 5 }, { _id: 2, n: 50 }]);
    assert.equal((await serverError(source.aggregate([{ $out: 'target' }]).toArray())).code, 121);
    assert.equal((await serverError(source.aggregate([{ $merge: { into: 'target' } }]).toArray())).code, 121);
    await source.aggregate([{ $out: 'target' }], { bypassDocumentValidation: true }).toArray();
    assert.equal(await db.collection('target').countDocuments(), 2);
    const [info] = await db.listCollections({ name: 'target' }).toArray();
    assert.deepEqual((info as Document).options.validator, { n: { $gte: 10 } }, '$out keeps the validator');
  });
});
