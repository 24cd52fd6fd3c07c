import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded/index.js';

/** Where the embedded-* integration tests run: `MONGODB_URI` when set, else an embedded server on port 0. */
export interface EmbeddedTestTarget {
  uri: string;
  /** The embedded server, or undefined against a real deployment (emulator-specific tests then skip). */
  embedded: EmbeddedServer | undefined;
  stop(): Promise<void>;
}

export const REAL_SERVER = process.env.MONGODB_URI !== undefined && process.env.MONGODB_URI !== '';
export const EMULATOR_ONLY = REAL_SERVER ? 'emulator-specific (MONGODB_URI is set)' : false;

/** Uses the shared `test/helpers/target.ts` when it exists, else starts the embedded server directly. */
export async function embeddedTestTarget(options: { log?: (line: string) => void } = {}): Promise<EmbeddedTestTarget> {
  const shared = new URL('../helpers/target.js', import.meta.url);
  if (!options.log && existsSync(fileURLToPath(shared))) {
    const helper = (await import(shared.href)) as { getTarget?: () => Promise<{ uri: string; embedded?: unknown; stop: () => Promise<void> }> };
    if (typeof helper.getTarget === 'function') {
      const t = await helper.getTarget();
      const embedded = isEmbedded(t.embedded) ? t.embedded : undefined;
      if (embedded || REAL_SERVER) return { uri: t.uri, embedded, stop: t.stop };
    }
  }
  if (REAL_SERVER) return { uri: process.env.MONGODB_URI!, embedded: undefined, stop: async () => {} };
  const server = await startEmbeddedServer({ port: 0, log: options.log });
  return { uri: server.uri, embedded: server, stop: () => server.stop() };
}

function isEmbedded(value: unknown): value is EmbeddedServer {
  return typeof value === 'object' && value !== null && 'server' in value && 'port' in value;
}
