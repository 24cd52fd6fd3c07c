import { after, before, describe, test } from 'node:test';
import { startEmbeddedServer, type EmbeddedServer } from '../../src/embedded/index.js';
import { knownFailure } from './known-failures.js';
import { conformanceDir, loadSpecFiles, UnifiedRunner } from './unified/runner.js';

/**
 * The drivers' unified-format change-stream spec tests (../shared/conformance/change-streams), through the
 * official driver, against the embedded server (one per file) or MONGODB_URI when set.
 * A skipped test names the requirement it does not meet; a `todo` one is listed in known-failures.ts.
 */
const files = loadSpecFiles(conformanceDir('change-streams'));
const targetUri = process.env.MONGODB_URI || undefined;

for (const file of files) {
  describe(file.name, () => {
    let server: EmbeddedServer | undefined;
    let runner: UnifiedRunner;

    before(async () => {
      if (!targetUri) server = await startEmbeddedServer({ port: 0 });
      runner = await UnifiedRunner.connect(targetUri ?? server!.uri);
    });

    after(async () => {
      await runner?.close();
      await server?.stop();
    });

    for (const spec of file.tests) {
      const todo = targetUri ? undefined : knownFailure(file.name, spec.description);
      test(spec.description, { todo, timeout: 60_000 }, async (t) => {
        const reason = runner.skipReason(file, spec);
        if (reason) {
          t.skip(reason);
          return;
        }
        await runner.runTest(file, spec);
      });
    }
  });
}
