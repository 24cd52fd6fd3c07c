import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Errors, Flags } from '@oclif/core';
import { TickerCommand, connectionFlags, flagParseLine, userFacingLine } from '../../src/util/command-base.js';
import { colourEnabled, colours } from '../../src/util/colour.js';
import { UserError } from '../../src/util/errors.js';
import { durationFlag, positiveIntFlag } from '../../src/util/flags.js';

const root = fileURLToPath(new URL('../../..', import.meta.url));

class Demo extends TickerCommand {
  static override flags = {
    ...connectionFlags,
    count: positiveIntFlag({ default: 1, bound: { max: 10, why: '(a test bound)' } }),
    duration: durationFlag({ default: 1000 }),
    fail: Flags.string(),
  };

  async run(): Promise<unknown> {
    const { flags } = await this.parse(Demo);
    if (flags.fail === 'user') throw new UserError(`could not use mongodb://bob:hunter2@db:1 ${'because '.repeat(20)}\nand more`);
    if (flags.fail === 'network') throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'MongoNetworkError' });
    return flags;
  }
}

/** Runs the command the way bin/run.js does and returns what reached stderr and the exit code. */
async function runDemo(argv: string[]): Promise<{ stderr: string; exit: number | undefined }> {
  let stderr = '';
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  }) as typeof process.stderr.write;
  const savedExitCode = process.exitCode;
  try {
    await Demo.run(argv, root);
    return { stderr, exit: undefined };
  } catch (error) {
    assert.ok(error instanceof Errors.ExitError, `expected an ExitError, got ${String(error)}`);
    return { stderr, exit: error.oclif.exit };
  } finally {
    process.stderr.write = write;
    process.exitCode = savedExitCode;
  }
}

describe('TickerCommand.catch', () => {
  it('shows a UserError as exactly one line, password hidden, non-zero exit', async () => {
    const { stderr, exit } = await runDemo(['--fail', 'user']);
    assert.equal(stderr.split('\n').length, 2, stderr); // one line plus its newline
    assert.match(stderr, /^Error: could not use mongodb:\/\/bob:\*\*\*\*@db:1 because/);
    assert.ok(!stderr.includes('hunter2'));
    assert.equal(exit, 1);
  });

  it('shows a connection error as one line', async () => {
    const { stderr, exit } = await runDemo(['--fail', 'network']);
    assert.equal(stderr, 'Error: connection refused by the server: is the server running and listening on that port?\n');
    assert.equal(exit, 1);
  });

  it('folds a bad flag value into one line with exit code 2', async () => {
    for (const [argv, expected] of [
      [['--count', '0'], 'Error: --count: expected a whole number above zero, got "0" (see --help)\n'],
      [['--duration', '10'], /^Error: --duration: duration "10" has no unit: .* \(see --help\)\n$/],
      [['--uri', 'http://u:hunter2@x'], 'Error: --uri: expected a connection string starting with mongodb:// or mongodb+srv:// (see --help)\n'],
      [['--nope'], 'Error: Nonexistent flag: --nope (see --help)\n'],
    ] as const) {
      const { stderr, exit } = await runDemo([...argv]);
      if (typeof expected === 'string') assert.equal(stderr, expected);
      else assert.match(stderr, expected);
      assert.equal(exit, 2, argv.join(' '));
    }
  });

  it('parses the shared connection flags with their defaults', async () => {
    const saved = process.env.MONGODB_URI;
    process.env.MONGODB_URI = 'mongodb://from-env:27017';
    try {
      const flags = (await Demo.run([], root)) as Record<string, unknown>;
      assert.equal(flags.uri, 'mongodb://from-env:27017');
      assert.equal(flags.db, 'market');
      assert.equal(flags.collection, 'stocksymbols');
    } finally {
      if (saved === undefined) delete process.env.MONGODB_URI;
      else process.env.MONGODB_URI = saved;
    }
  });

  it('leaves bugs to oclif (with their stack) but still hides passwords', () => {
    assert.equal(userFacingLine(new TypeError('boom')), undefined);
    assert.equal(flagParseLine('Parsing --rate \n\tnope\nSee more help with --help'), '--rate: nope (see --help)');
  });
});

describe('colour', () => {
  it('is on only on a TTY, never with NO_COLOR, forced by FORCE_COLOR', () => {
    assert.equal(colourEnabled({ isTTY: true }, {}), true);
    assert.equal(colourEnabled({ isTTY: false }, {}), false);
    assert.equal(colourEnabled({}, {}), false);
    assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: '1' }), false);
    assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: '1', FORCE_COLOR: '1' }), false);
    assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: '' }), true);
    assert.equal(colourEnabled({ isTTY: false }, { FORCE_COLOR: '1' }), true);
    assert.equal(colourEnabled({ isTTY: true }, { FORCE_COLOR: '0' }), false);
    assert.equal(colourEnabled({ isTTY: true }, { TERM: 'dumb' }), false);
  });

  it('colours() formats only when enabled', () => {
    assert.equal(colours({ isTTY: false }, {}).red('x'), 'x');
    assert.notEqual(colours({ isTTY: true }, {}).red('x'), 'x');
  });
});
