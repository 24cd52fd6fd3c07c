import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Config, type Command } from '@oclif/core';
import { REPO_ROOT, runTicker } from '../helpers/cli.js';

type Flag = { type: string; helpValue?: string; options?: readonly string[]; default?: unknown; defaultHelp?: unknown; hidden?: boolean };

/** Commands that run until Ctrl-C unless given an end. */
const OPEN_ENDED = new Set(['server', 'trace', 'display', 'demo', 'mutate']);

// Every command's --help, checked against oclif's conventions from the commands' own definitions.
describe('every command’s help', async () => {
  const config = await Config.load(REPO_ROOT);
  const ours = config.commands.filter((c) => c.pluginName === config.pjson.name); // not the help plugin's own
  const commands = await Promise.all(ours.map(async (c) => ({ id: c.id, cls: (await c.load()) as Command.Class })));

  it('has a summary, a description that does not repeat it, and captioned examples that do not hang', () => {
    assert.ok(commands.length >= 14, commands.map((c) => c.id).join(' '));
    for (const { id, cls } of commands) {
      assert.ok(cls.summary, `${id}: a summary`);
      assert.ok(!cls.description || !cls.description.startsWith(cls.summary!), `${id}: the description repeats the summary`);
      const examples = (cls.examples ?? []) as Array<string | { description: string; command: string }>;
      assert.ok(examples.length >= 2, `${id}: at least two examples`);
      for (const example of examples) {
        assert.ok(typeof example === 'object' && example.description.length > 0, `${id}: an example without a caption: ${JSON.stringify(example)}`);
        assert.match(example.command, new RegExp(`^<%= config.bin %> ${id.replaceAll(':', ' ')}\\b`), `${id}: ${example.command}`);
        // head/tail -n/grep -m end the reader, not the command: the pipe would wait for it to die
        if (OPEN_ENDED.has(id)) assert.doesNotMatch(example.command, /\|\s*(head|grep -m|sed -n \d+q)/, `${id}: ${example.command}`);
      }
    }
  });

  it('says what each value is and gives defaults in the units people type', async () => {
    for (const { id, cls } of commands) {
      for (const [name, flag] of Object.entries((cls.flags ?? {}) as Record<string, Flag>)) {
        if (flag.type !== 'option' || flag.hidden) continue;
        assert.ok(flag.helpValue || flag.options, `${id} --${name}: no helpValue (shows as <value>)`);
        if (flag.helpValue === '<duration>' && flag.default !== undefined) {
          const shown = typeof flag.defaultHelp === 'function' ? await flag.defaultHelp({ options: flag, flags: {} }) : flag.defaultHelp;
          assert.match(String(shown), /^\d+(\.\d+)?(ms|s|m|h)(\d+(ms|s|m))*$/, `${id} --${name}: default shown as ${String(shown)}`);
        }
      }
    }
  });

  it('renders the same for -h, --help and `help <command>` on topics too', async () => {
    const [dashH, long, viaHelp] = await Promise.all([runTicker(['report', 'slice', '-h']), runTicker(['report', 'slice', '--help']), runTicker(['help', 'report', 'slice'])]);
    for (const run of [dashH, long, viaHelp]) assert.equal(run.code, 0, run.stderr);
    assert.equal(dashH.stdout, long.stdout);
    assert.equal(long.stdout, viaHelp.stdout);
    assert.doesNotMatch(long.stdout, /<value>/);
    assert.match(long.stdout, /EXAMPLES\n {2}\S.*\n\n {4}\$ ticker report slice /);
  });
});
