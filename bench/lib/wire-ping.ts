import net from 'node:net';
import { FrameReader } from '../../src/embedded/wire/frame-reader.js';
import { encodeOpMsg } from '../../src/embedded/wire/messages.js';
import { createLatencyMicros, recordMicros, summarize, type HistogramSummary } from '../../src/measure/histograms.js';
import { hybridTimer } from '../../src/mutate/timer.js';

/**
 * The floor under any end-to-end figure: one `ping` command on a bare socket (no driver), paced at `rate`
 * for `ms`, round trip times in microseconds. A change event needs a write to reach the server and the
 * event to come back, so it cannot beat about one such round trip at the same pacing on the same machine.
 */
export async function wirePingRoundTrips(host: string, port: number, rate: number, ms: number): Promise<HistogramSummary> {
  const socket = net.connect(port, host);
  socket.setNoDelay(true);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const reader = new FrameReader();
  let replied: (() => void) | undefined;
  socket.on('data', (chunk) => {
    if (reader.push(chunk).length > 0) replied?.();
  });
  const h = createLatencyMicros();
  const timer = hybridTimer();
  const start = timer.now();
  try {
    for (let k = 0; k * 1000 < ms * rate; k++) {
      await timer.waitUntil(start + (k * 1000) / rate);
      const sent = timer.now();
      await new Promise<void>((resolve) => {
        replied = resolve;
        socket.write(encodeOpMsg({ ping: 1, $db: 'admin' }, 0).frame);
      });
      recordMicros(h, (timer.now() - sent) * 1000);
    }
    return summarize(h);
  } finally {
    h.destroy();
    socket.destroy();
  }
}
