import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`bin/run.js`) as a user would, without colour and without an inherited MONGODB_URI. */
export function runTicker(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['bin/run.js', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', MONGODB_URI: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A refusal as users must see it: non-zero exit, exactly one stderr line matching `pattern`, no stack. */
export function assertRefused(result: CliResult, pattern: RegExp): void {
  assert.notEqual(result.code, 0, `expected a non-zero exit; stdout: ${result.stdout}`);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one stderr line, got: ${result.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(result.stderr, /\n\s+at /);
}

/** Exactly one stderr line, matching `pattern`. */
export function assertOneErrorLine(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got: ${stderr}`);
  assert.match(lines[0]!, pattern);
}

export interface RunningTicker {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Exit code, or null when a signal killed the process (a failure in the tests that use this). */
  exited: Promise<number | null>;
  /** Resolves once stdout or stderr matches `pattern`; fails if the process ends first or after `timeoutMs`. */
  waitFor: (pattern: RegExp, timeoutMs?: number) => Promise<void>;
}

/** Starts the built CLI as a child that keeps running, for tests that signal it. */
export function startTicker(args: string[], env: NodeJS.ProcessEnv = {}): RunningTicker {
  const child = spawn(process.execPath, ['bin/run.js', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NO_COLOR: '1', MONGODB_URI: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 30_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(stdout) && !pattern.test(stderr)) {
      if (child.exitCode !== null || child.signalCode !== null) assert.fail(`ended before ${pattern}; stdout: ${stdout}; stderr: ${stderr}`);
      if (Date.now() > deadline) assert.fail(`no ${pattern} in time; stdout: ${stdout}; stderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return { child, stdout: () => stdout, stderr: () => stderr, exited, waitFor };
}
