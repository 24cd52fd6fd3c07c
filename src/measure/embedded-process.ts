/**
 * Runs the embedded server in a process of its own, so it never shares the harness's event loop.
 * Started by `startEmbeddedProcess()` with an IPC channel: it sends `{ uri }` once listening, and stops
 * when told `'stop'` or when its parent goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startEmbeddedServer } from '../embedded/index.js';

export interface EmbeddedProcess {
  uri: string;
  pid: number;
  stop(): Promise<void>;
}

/** Forks this file as a child process running the embedded server on a free port. */
export async function startEmbeddedProcess(): Promise<EmbeddedProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const uri = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the embedded server exited before it was ready (code ${code})`)));
    child.once('message', (message: { uri?: string; error?: string }) => {
      if (message.uri) resolve(message.uri);
      else reject(new Error(`the embedded server did not start: ${message.error ?? 'unknown error'}`));
    });
  });
  return {
    uri,
    pid: child.pid!,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      if (child.connected) child.send('stop');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

async function serve(): Promise<void> {
  try {
    const server = await startEmbeddedServer({ port: 0 });
    let stopping = false;
    const stop = async (): Promise<void> => {
      if (stopping) return;
      stopping = true;
      await server.stop().catch(() => undefined);
      process.disconnect?.();
      process.exit(0);
    };
    process.on('message', (m) => void (m === 'stop' && stop()));
    process.on('disconnect', () => void stop());
    // Ctrl-C reaches the whole process group: the parent decides when the server stops.
    process.on('SIGINT', () => undefined);
    process.send?.({ uri: server.uri });
  } catch (error) {
    process.send?.({ error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
}

if (process.argv[2] === '--serve' && process.argv[1] === fileURLToPath(import.meta.url)) void serve();
