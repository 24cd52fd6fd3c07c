import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatChange, formatClock, formatResyncLine, formatSnapshotLine, formatTraceJson, formatTraceLine } from '../../src/render/trace.js';
import type { ChangeEvent } from '../../src/watch/watcher.js';

// 2026-01-02T13:45:01.23456Z
const AT = Date.UTC(2026, 0, 2, 13, 45, 1) + 234.56;
const change = (over: Partial<ChangeEvent> = {}): ChangeEvent => ({
  kind: 'change', symbol: 'MDB', price: 97, previous: 95, op: 'update', at: AT, clusterTime: { t: 1, i: 2 }, wallTime: AT - 1, ...over,
});

describe('trace renderer', () => {
  it('prints time to a tenth of a millisecond', () => {
    assert.equal(formatClock(AT, true), '13:45:01.2345');
    assert.equal(formatClock(Date.UTC(2026, 0, 2, 0, 0, 0) + 0.09, true), '00:00:00.0000');
    assert.equal(formatClock(Date.UTC(2026, 0, 2, 23, 59, 59) + 999.99, true), '23:59:59.9999');
  });

  it('signs the change', () => {
    assert.equal(formatChange(95, 97), '+2');
    assert.equal(formatChange(97, 95), '-2');
    assert.equal(formatChange(5, 5), '0');
    assert.equal(formatChange(null, 5), '');
  });

  it('one line per change: symbol, old → new, change, time', () => {
    assert.equal(formatTraceLine(change(), { colour: false, utc: true }), 'MDB         95 → 97         +2  13:45:01.2345');
    assert.equal(formatTraceLine(change({ symbol: 'GOOGL', price: 20, previous: 89 }), { colour: false, utc: true }), 'GOOGL       89 → 20        -69  13:45:01.2345');
    assert.equal(formatTraceLine(change({ previous: null }), { colour: false, utc: true }), 'MDB          — → 97             13:45:01.2345');
  });

  it('names inserts and deletes (--all)', () => {
    assert.match(formatTraceLine(change({ symbol: 'Z10001', op: 'delete', price: null }), { colour: false, utc: true }), /^Z10001 +deleted +13:45:01\.2345$/);
    assert.match(formatTraceLine(change({ symbol: 'Z10001', op: 'insert', price: 12, previous: null }), { colour: false, utc: true }), /→ 12 .* \(insert\)$/);
  });

  it('colours only when asked', () => {
    assert.doesNotMatch(formatTraceLine(change(), { colour: false }), /\x1b\[/);
    assert.match(formatTraceLine(change(), { colour: true }), /\x1b\[32m\s*\+2/);
  });

  it('NDJSON carries every field', () => {
    const event = change({ tick: { seq: 4, at: AT - 3, w: 0 } });
    assert.deepEqual(JSON.parse(formatTraceJson(event)), event);
    assert.ok(!formatTraceJson(event).includes('\n'));
  });

  it('snapshot and resync lines', () => {
    assert.equal(formatSnapshotLine({ kind: 'snapshot', prices: { MDB: 95 }, at: AT }, ['MDB', 'IBM']), 'following 2 symbols: MDB 95, IBM —');
    assert.match(formatResyncLine({ kind: 'resync', reason: 'lost' }), /^resync: lost$/);
  });
});
