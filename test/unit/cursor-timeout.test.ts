import assert from 'node:assert/strict';
import test from 'node:test';
import { CursorRegistry } from '../../src/embedded/cursors.js';

test('a cursor nobody uses is killed once the timeout has passed, a used one lives on', async () => {
  const registry = new CursorRegistry(20);
  const idle = { kind: 'documents' as const, id: registry.allocateId(), ns: 'market.x', docs: [], offset: 0 };
  const busy = { kind: 'documents' as const, id: registry.allocateId(), ns: 'market.x', docs: [], offset: 0 };
  registry.add(idle);
  registry.add(busy);
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    registry.get(busy.id, 'market.x');
  }
  registry.add({ kind: 'documents', id: registry.allocateId(), ns: 'market.x', docs: [], offset: 0 });
  assert.throws(() => registry.get(idle.id, 'market.x'), /not found/);
  assert.equal(registry.get(busy.id, 'market.x').id, busy.id);
});
