import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runOpenLoop, type ScheduledOp } from '../../src/mutate/scheduler.js';
import { hybridTimer, type Timer } from '../../src/mutate/timer.js';

/** A clock that only moves when told to: waiting jumps straight to the target. */
class FakeTimer implements Timer {
  t = 1_000;
  now = (): number => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
  async waitUntil(target: number): Promise<void> {
    this.t = Math.max(this.t, target);
  }
  async yield(): Promise<void> {}
}

const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('open-loop scheduler (fake clock)', () => {
  it('plans operation k at start + k / rate, exactly, at 16, 1,000 and 10,000 ops/s', async () => {
    for (const rate of [16, 1_000, 10_000]) {
      const timer = new FakeTimer();
      const ops: ScheduledOp[] = [];
      const stats = await runOpenLoop({ rate, durationMs: 1_000, timer }, async (op) => void ops.push(op));
      assert.equal(ops.length, rate);
      assert.equal(stats.issued, rate);
      ops.forEach((op, k) => {
        assert.equal(op.seq, k);
        assert.equal(op.intendedAt, stats.startedAt + (k * 1000) / rate);
        assert.equal(op.lagMs, 0);
      });
      assert.equal(stats.elapsedMs, 1_000);
      assert.equal(stats.achievedRate, rate);
      assert.equal(stats.maxBehindMs, 0);
    }
  });

  it('--duration ends the run on time however far behind it is, and counts what it never sent', async () => {
    const timer = new FakeTimer();
    // Each send costs 1 ms of this clock: at 10,000 ops/s only 1,000 fit in the second (plus one burst in flight).
    const stats = await runOpenLoop({ rate: 10_000, durationMs: 1_000, timer }, async () => void timer.advance(1));
    assert.ok(timer.t - stats.startedAt <= 1_000 + 50 + 64, `ran ${timer.t - stats.startedAt} ms`);
    assert.ok(stats.issued >= 900 && stats.issued <= 1_114, String(stats.issued));
    assert.equal(stats.unsent, 10_000 - stats.issued);
    assert.ok(stats.maxBehindMs > 800, String(stats.maxBehindMs));
    const kept = await runOpenLoop({ rate: 100, durationMs: 1_000, timer: new FakeTimer() }, async () => {});
    assert.equal(kept.unsent, 0);
  });

  it('plans ceil(rate × duration) operations for fractional plans', async () => {
    const stats = await runOpenLoop({ rate: 3, durationMs: 1_000, timer: new FakeTimer() }, async () => {});
    assert.equal(stats.issued, 3);
    const odd = await runOpenLoop({ rate: 16, durationMs: 1_010, timer: new FakeTimer() }, async () => {});
    assert.equal(odd.issued, 17); // op 16 is due at 1000 ms < 1010 ms
  });

  it('ramps from zero to the rate over rampMs, then keeps the rate exactly', async () => {
    const timer = new FakeTimer();
    const ops: ScheduledOp[] = [];
    // 1,000 ops/s with a 1 s ramp: 500 operations during the ramp, then 1,000 in the next second.
    const stats = await runOpenLoop({ rate: 1_000, durationMs: 2_000, rampMs: 1_000, timer }, async (op) => void ops.push(op));
    assert.equal(ops.length, 1_500);
    const offsets = ops.map((op) => op.intendedAt - stats.startedAt);
    const dueBy = (ms: number): number => offsets.filter((o) => o < ms).length;
    assert.equal(dueBy(500), 125); // rate·t²/(2·ramp): a quarter of the ramp's operations in its first half
    assert.equal(dueBy(1_000), 500);
    for (let k = 1; k < offsets.length; k++) assert.ok(offsets[k]! > offsets[k - 1]!, 'intended times increase');
    for (let k = 501; k < offsets.length; k++) assert.ok(Math.abs(offsets[k]! - offsets[k - 1]! - 1) < 1e-9, 'one per ms after the ramp');
    assert.equal(stats.achievedRate, 1_000, 'the achieved rate is the one after the ramp');
  });

  it('catches up after a stall: overdue operations go at once and keep their intended times', async () => {
    const timer = new FakeTimer();
    const ops: ScheduledOp[] = [];
    const stats = await runOpenLoop({ rate: 100, durationMs: 500, timer }, async (op) => {
      ops.push(op);
      if (op.seq === 5) timer.advance(200); // the event loop was blocked for 200 ms
    });
    assert.equal(ops.length, 50);
    const start = stats.startedAt;
    ops.forEach((op, k) => assert.equal(op.intendedAt, start + k * 10));
    const stallEnd = ops[6]!.sentAt; // the first send after the stall
    assert.ok(stallEnd >= start + 250);
    const overdue = ops.filter((op) => op.intendedAt < stallEnd && op.seq > 5);
    assert.ok(overdue.length >= 19);
    for (const op of overdue) {
      assert.equal(op.sentAt, stallEnd);
      assert.equal(op.lagMs, stallEnd - op.intendedAt);
    }
    for (const op of ops.filter((o) => o.intendedAt >= stallEnd)) assert.equal(op.lagMs, 0);
    assert.ok(Math.abs(stats.maxBehindMs - 200) <= 10, `maxBehind ${stats.maxBehindMs}`);
  });

  it('never has more than maxInFlight operations outstanding; waiting ones keep their intended times', async () => {
    const timer = new FakeTimer();
    const ops: ScheduledOp[] = [];
    const releases: (() => void)[] = [];
    const run = runOpenLoop({ rate: 1_000, maxOps: 6, maxInFlight: 3, timer }, (op) => {
      ops.push(op);
      return new Promise<void>((resolve) => releases.push(resolve));
    });

    await settle();
    assert.equal(ops.length, 3, 'stopped at the bound');
    timer.advance(50); // the server is slow
    releases[0]!();
    await settle();
    assert.equal(ops.length, 4);
    const fourth = ops[3]!;
    assert.equal(fourth.intendedAt, ops[0]!.intendedAt + 3);
    assert.equal(fourth.lagMs, fourth.sentAt - fourth.intendedAt);
    assert.ok(fourth.lagMs >= 47);

    releases[1]!();
    releases[2]!();
    await settle();
    while (releases.length < 6) await settle();
    releases.slice(3).forEach((release) => release());
    const stats = await run;
    assert.equal(stats.issued, 6);
    assert.equal(stats.peakInFlight, 3);
  });

  it('stops on an AbortSignal and waits for what is in flight', async () => {
    const timer = new FakeTimer();
    const controller = new AbortController();
    let completed = 0;
    const stats = await runOpenLoop({ rate: 100, signal: controller.signal, timer }, async (op) => {
      if (op.seq === 9) controller.abort();
      await settle();
      completed++;
    });
    assert.equal(stats.issued, 10);
    assert.equal(completed, 10);
    assert.equal(stats.aborted, true);
  });

  it('counts rejected operations without stopping', async () => {
    const stats = await runOpenLoop({ rate: 10, maxOps: 4, timer: new FakeTimer() }, async (op) => {
      if (op.seq % 2 === 0) throw new Error('server said no');
    });
    assert.equal(stats.issued, 4);
    assert.equal(stats.rejected, 2);
  });

  it('refuses a plan without an end or with a bad rate', async () => {
    await assert.rejects(runOpenLoop({ rate: 10 }, async () => {}), /needs an end/);
    await assert.rejects(runOpenLoop({ rate: 0, durationMs: 1 }, async () => {}), /rate must be > 0/);
    await assert.rejects(runOpenLoop({ rate: Number.NaN, durationMs: 1 }, async () => {}), /rate must be > 0/);
  });
});

describe('hybrid timer', () => {
  it('never wakes before the target', async () => {
    const timer = hybridTimer();
    for (const ahead of [0.2, 1, 3, 12]) {
      const target = timer.now() + ahead;
      await timer.waitUntil(target);
      assert.ok(timer.now() >= target);
    }
  });

  it('returns early when aborted', async () => {
    const timer = hybridTimer();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = timer.now();
    await timer.waitUntil(started + 60_000, controller.signal);
    assert.ok(timer.now() - started < 5_000);
  });

  it('drives a real short run: every op sent at or after its intended time', async () => {
    const ops: ScheduledOp[] = [];
    const stats = await runOpenLoop({ rate: 250, durationMs: 200 }, async (op) => void ops.push(op));
    assert.equal(ops.length, 50);
    assert.ok(ops.every((op) => op.sentAt >= op.intendedAt));
    assert.ok(stats.elapsedMs >= 200);
  });
});
