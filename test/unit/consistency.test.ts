import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeProblem, settingDifferences } from '../../src/report/consistency.js';
import { makeReport, values } from './latency-report-fixture.js';

const at = (uri: string, embedded: boolean, latencyUs = 1000) => {
  const r = makeReport({ endToEnd: values(60, latencyUs) });
  r.target = { ...r.target, uri, embedded };
  return r;
};

describe('report consistency', () => {
  it('two runs on embedded servers are not named as different targets for their ports', () => {
    assert.deepEqual(settingDifferences(at('mongodb://127.0.0.1:40001/', true), at('mongodb://127.0.0.1:40002/', true)), []);
  });

  it('two deployments, or an embedded server and a deployment, are', () => {
    assert.deepEqual(settingDifferences(at('mongodb://a:27017/', false), at('mongodb://b:27017/', false)), ['target mongodb://a:27017/ → mongodb://b:27017/']);
    assert.deepEqual(settingDifferences(at('mongodb://127.0.0.1:40001/', true), at('mongodb://b:27017/', false)), [
      'target the embedded server → mongodb://b:27017/', 'embedded true → false',
    ]);
  });

  it('parts on two embedded servers are still not parts of one run', () => {
    assert.match(mergeProblem([at('mongodb://127.0.0.1:40001/', true), at('mongodb://127.0.0.1:40002/', true, 2000)], ['a', 'b']) ?? '', /target/);
  });
});
