import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A child process that prints one JSON line when ready; the handle to read it and to end the child. */
export interface Child<T> {
  ready: T;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** Runs `dist/bench/lib/<script>.js` with args; resolves with its first stdout line parsed as JSON. */
export function spawnChild<T>(script: string, args: string[] = [], nodeArgs: string[] = []): Promise<Child<T>> {
  const file = fileURLToPath(new URL(`./${script}.js`, import.meta.url));
  const child = spawn(process.execPath, [...nodeArgs, file, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buffered = '';
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      const ready = JSON.parse(buffered.slice(0, nl)) as T;
      resolve({
        ready,
        process: child,
        stop: async () => {
          child.stdin!.end();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

/** Runs a child that prints one JSON line and exits (a measurement in a process of its own): that line. */
export async function childResult<T>(script: string, args: string[], nodeArgs: string[] = []): Promise<T> {
  const child = await spawnChild<T>(script, args, nodeArgs);
  await child.stop();
  return child.ready;
}
