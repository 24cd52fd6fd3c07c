import { DEFAULT_FAULT_MS, type Fault, type FaultKind } from '../embedded/index.js';
import { parseDuration } from '../util/duration.js';

const KIND_NAMES: Record<string, FaultKind> = { drop: 'drop', dropconnections: 'drop', stepdown: 'stepDown', pause: 'pause', restart: 'restart' };

/** `drop`, `stepdown`, `stepdown:5s`, `pause:500ms`, `restart`, `restart:1s` (as `ticker server --fault` takes them). */
export function parseFault(spec: string): Fault {
  const [name, duration, ...rest] = spec.trim().split(/[:=]/);
  const kind = KIND_NAMES[name.toLowerCase().replace(/[-_]/g, '')];
  if (!kind || rest.length > 0) throw new Error(`unknown fault "${spec}": use drop, stepdown[:2s], pause[:1s] or restart[:200ms]`);
  if (duration !== undefined && kind === 'drop') throw new Error(`fault "drop" takes no duration`);
  return { kind, durationMs: duration === undefined ? DEFAULT_FAULT_MS[kind] : parseDuration(duration) };
}
