/**
 * A server in its own process, so that the driver under test and the server do not share one event loop:
 *   node dist/bench/lib/server-child.js embedded|sink
 * Prints one JSON line `{"port":N}` when listening; exits when stdin closes.
 */
import { startEmbeddedServer } from '../../src/embedded/index.js';
import { startWireSink } from './wire-sink.js';

const kind = process.argv[2];
let stop: () => Promise<void>;
let port: number;
if (kind === 'embedded') {
  const server = await startEmbeddedServer({ port: 0 });
  port = server.port;
  stop = () => server.stop();
} else if (kind === 'sink') {
  const sink = await startWireSink();
  port = sink.port;
  stop = sink.stop;
} else {
  throw new Error(`unknown server kind ${kind}`);
}
process.stdout.write(`${JSON.stringify({ port, pid: process.pid })}\n`);
process.stdin.resume();
process.stdin.on('end', () => void stop().then(() => process.exit(0)));
