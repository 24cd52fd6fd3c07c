import assert from 'node:assert/strict';
import { MongoServerError } from 'mongodb';

/** The server error a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function serverError(p: Promise<unknown>): Promise<MongoServerError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MongoServerError) return err;
    throw err;
  }
  assert.fail('expected a server error');
}
