/** The clock and sleep the coordination uses (the measuring timer's epoch, so both agree). */
import { setTimeout as delay } from 'node:timers/promises';
export { epochNow } from '../mutate/timer.js';

export function sleep(ms: number): Promise<void> {
  return delay(ms, undefined, { ref: true });
}
