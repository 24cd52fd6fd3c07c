import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../src/util/duration.js';
import { durationFlag, parsePositiveInt, parseRate, positiveIntFlag, rateFlag } from '../../src/util/flags.js';

describe('parseDuration', () => {
  it('reads each unit, decimals and compounds', () => {
    assert.equal(parseDuration('500ms'), 500);
    assert.equal(parseDuration('10s'), 10_000);
    assert.equal(parseDuration('5m'), 300_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('1.5s'), 1_500);
    assert.equal(parseDuration('.5s'), 500);
    assert.equal(parseDuration('1m30s'), 90_000);
    assert.equal(parseDuration(' 2S '), 2_000);
    assert.equal(parseDuration('0s'), 0);
  });

  it('rejects bare numbers, negatives, garbage and empty input with one clear line', () => {
    const cases: [string, RegExp][] = [
      ['10', /has no unit/],
      ['-5s', /negative/],
      ['', /empty duration/],
      ['   ', /empty duration/],
      ['ten seconds', /invalid duration "ten seconds"/],
      ['10 s', /invalid duration/],
      ['5d', /invalid duration/],
      ['1.2.3s', /invalid duration/],
      ['s', /invalid duration/],
    ];
    for (const [input, pattern] of cases) {
      assert.throws(() => parseDuration(input), (error: Error) => pattern.test(error.message) && !error.message.includes('\n'), input);
    }
  });
});

describe('formatDuration', () => {
  it('formats for people', () => {
    assert.equal(formatDuration(250), '250ms');
    assert.equal(formatDuration(0.25), '0.25ms');
    assert.equal(formatDuration(1_500), '1.5s');
    assert.equal(formatDuration(300_000), '5m');
    assert.equal(formatDuration(90_000), '1m30s');
    assert.equal(formatDuration(7_500_000), '2h5m');
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 250, 1_500, 10_000, 90_000, 300_000, 3_600_000, 3_900_000]) {
      assert.equal(parseDuration(formatDuration(ms)), ms);
    }
  });
});

describe('number flags', () => {
  it('parsePositiveInt accepts whole numbers above zero', () => {
    assert.equal(parsePositiveInt('1000'), 1000);
    assert.equal(parsePositiveInt('1_000'), 1000);
    assert.equal(parsePositiveInt('1e3'), 1000);
  });

  it('parsePositiveInt rejects 0, negatives, fractions and text', () => {
    for (const input of ['0', '-3', '1.5', 'abc', '', '10x', 'Infinity']) {
      assert.throws(() => parsePositiveInt(input), /expected a whole number above zero/, input);
    }
  });

  it('parseRate accepts positive numbers and rejects the rest', () => {
    assert.equal(parseRate('16'), 16);
    assert.equal(parseRate('0.5'), 0.5);
    assert.equal(parseRate('10_000'), 10_000);
    for (const input of ['0', '-1', 'fast', '', 'NaN']) {
      assert.throws(() => parseRate(input), /expected a rate in operations per second above zero/, input);
    }
  });
});

describe('oclif custom flags', () => {
  // oclif calls parse(input, context, options); these parsers use only input and options.
  const context = {} as never;

  it('durationFlag returns ms and refuses zero unless allowed', async () => {
    const flag = durationFlag();
    assert.equal(await flag.parse('10s', context, flag as never), 10_000);
    await assert.rejects(flag.parse('0s', context, flag as never), /above zero/);
    const warmup = durationFlag({ allowZero: true });
    assert.equal(await warmup.parse('0s', context, warmup as never), 0);
    await assert.rejects(flag.parse('10', context, flag as never), /has no unit/);
  });

  it('positiveIntFlag and rateFlag parse', async () => {
    const count = positiveIntFlag({ bound: { max: 100_000, why: '(a test bound)' } });
    assert.equal(await count.parse('20000', context, count as never), 20_000);
    await assert.rejects(count.parse('0', context, count as never), /above zero/);
    const rate = rateFlag();
    assert.equal(await rate.parse('1000', context, rate as never), 1000);
    await assert.rejects(rate.parse('-1', context, rate as never), /above zero/);
  });
});
