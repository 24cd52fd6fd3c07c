/**
 * Runs the embedded server in a process of its own, so it never shares the harness's event loop.
 * Started by `startEmbeddedProcess()` with an IPC channel: it sends `{ uri }` once listening, and stops
 * when told `'stop'` or when its parent goes away.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

export interface EmbeddedProcess {
  uri: string;
  pid: number;
  /** The server process's own CPU time and memory, read inside it (benches: the server's cost per event). */
  usage(): Promise<ServerUsage>;
  stop(): Promise<void>;
}

export interface ServerUsage {
  /** user + system CPU time of the server process since it started, microseconds */
  cpuMicros: number;
  rssBytes: number;
  /** after a full collection when the process was started with `exposeGc` */
  heapUsedBytes: number;
}

export interface EmbeddedProcessOptions {
  /** start the server with --expose-gc, so usage() reports the heap after a collection */
  exposeGc?: boolean;
  /**
   * Collect garbage on the server's own thread only (V8's --single-threaded-gc). Default: on a machine of
   * two cores or fewer, where the harness keeps one core busy (its open-loop writer) and V8's GC helper
   * threads would queue for the other behind the server's main thread, which waits for them: at 2,000
   * ops/s a bare watch loop's p99 went from 22 to 7.7 ms with it (max 61 → 19 ms), p50 unchanged.
   */
  singleThreadedGc?: boolean;
}

/** Forks this file as a child process running the embedded server on a free port. */
export async function startEmbeddedProcess(options: EmbeddedProcessOptions = {}): Promise<EmbeddedProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--serve'], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    execArgv: [
      ...process.execArgv,
      ...(options.exposeGc ? ['--expose-gc'] : []),
      ...((options.singleThreadedGc ?? availableParallelism() <= 2) ? ['--single-threaded-gc'] : []),
    ],
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
    usage() {
      return new Promise<ServerUsage>((resolve, reject) => {
        const on = (message: { usage?: ServerUsage }): void => {
          if (!message.usage) return;
          child.off('message', on);
          resolve(message.usage);
        };
        child.on('message', on);
        if (!child.connected) reject(new Error('the embedded server has exited'));
        else child.send('usage');
      });
    },
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
    // Loaded here, in the server's process only: every command imports this module to start one, and the
    // server (its query engine with it) is most of what a command would otherwise load at start-up.
    const { startEmbeddedServer } = await import('../embedded/index.js');
    const server = await startEmbeddedServer({ port: 0 });
    let stopping = false;
    const stop = async (): Promise<void> => {
      if (stopping) return;
      stopping = true;
      await server.stop().catch(() => undefined);
      process.disconnect?.();
      process.exit(0);
    };
    process.on('message', (m) => {
      if (m === 'stop') void stop();
      else if (m === 'usage') process.send?.({ usage: usage() });
    });
    process.on('disconnect', () => void stop());
    // Ctrl-C reaches the whole process group: the parent decides when the server stops.
    process.on('SIGINT', () => undefined);
    process.send?.({ uri: server.uri });
  } catch (error) {
    process.send?.({ error: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  }
}

function usage(): ServerUsage {
  (globalThis as { gc?: () => void }).gc?.();
  const cpu = process.cpuUsage();
  const memory = process.memoryUsage();
  return { cpuMicros: cpu.user + cpu.system, rssBytes: memory.rss, heapUsedBytes: memory.heapUsed };
}

if (process.argv[2] === '--serve' && process.argv[1] === fileURLToPath(import.meta.url)) void serve();
