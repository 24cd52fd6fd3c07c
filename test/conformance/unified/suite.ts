import { after, before, describe, test } from 'node:test';
import { knownFailure } from '../known-failures.js';
import { conformanceDir, loadSpecFiles, UnifiedRunner } from './runner.js';
import { AGAINST_REAL_DEPLOYMENT, dropSpecDatabases, startTarget, type ConformanceTarget, type Folder, type Mode } from './target.js';

/**
 * Declares one folder of ../shared/conformance as node:test suites: once on the embedded replica set and
 * once on the embedded sharded cluster (tests whose runOnRequirements exclude a mode are skipped there with
 * the reason). One deployment per folder and mode; each file's databases are dropped after it.
 * Against MONGODB_URI the folder runs once, on that deployment. Entries of known-failures.ts are `todo`.
 */
export function defineConformanceSuite(folder: Folder): void {
  const files = loadSpecFiles(conformanceDir(folder));
  const modes: Mode[] = AGAINST_REAL_DEPLOYMENT ? ['replicaset'] : ['replicaset', 'sharded'];
  for (const mode of modes) {
    describe(AGAINST_REAL_DEPLOYMENT ? folder : `${folder} (${mode})`, () => {
      let target: ConformanceTarget | undefined;
      let runner: UnifiedRunner;

      before(async () => {
        target = await startTarget(mode);
        runner = await UnifiedRunner.connect(target.uri, target.multiUri);
      });

      after(async () => {
        await runner?.close();
        await target?.stop();
      });

      for (const file of files) {
        describe(file.name, () => {
          after(() => dropSpecDatabases(runner.internal, file));
          for (const spec of file.tests) {
            const todo = AGAINST_REAL_DEPLOYMENT ? undefined : knownFailure(folder, file.name, spec.description, mode);
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
    });
  }
}
