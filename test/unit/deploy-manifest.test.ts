/**
 * deploy/ticker-agents.yaml is valid for Kubernetes (its OpenAPI schema, offline, through
 * kubernetes-models) and runs a distributed bench the way the agents expect: an Indexed Job whose
 * completions equal --agents, the run name from the Job, the index from the completion index, the URI
 * from a Secret, and only flags that `bench latency` has.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { parseAllDocuments } from 'yaml';
import BenchLatency from '../../src/commands/bench/latency.js';
import { REPO_ROOT } from '../helpers/cli.js';

const MANIFEST = join(REPO_ROOT, 'deploy', 'ticker-agents.yaml');

async function loadJobs(): Promise<Record<string, unknown>[]> {
  const docs = parseAllDocuments(await readFile(MANIFEST, 'utf8'));
  for (const d of docs) assert.deepEqual(d.errors, [], 'YAML parses');
  return docs.map((d) => d.toJS() as Record<string, unknown>);
}

describe('deploy/ticker-agents.yaml', () => {
  it('is a Job the Kubernetes schema accepts', async () => {
    const docs = await loadJobs();
    assert.equal(docs.length, 1);
    assert.equal(docs[0]!.kind, 'Job');
    assert.equal(docs[0]!.apiVersion, 'batch/v1');
    new Job(docs[0] as never).validate(); // throws with the schema path of the first error
  });

  it('the validator does reject a broken Job (so the check above can fail)', async () => {
    const [doc] = await loadJobs();
    const broken = structuredClone(doc) as { spec: { completions: unknown } };
    broken.spec.completions = 'three';
    assert.throws(() => new Job(broken as never).validate(), /completions/);
  });

  it('runs one agent per completion index, named by the Job, with the URI from a Secret', async () => {
    const [doc] = await loadJobs();
    const job = doc as unknown as {
      spec: { completionMode: string; completions: number; parallelism: number; backoffLimit: number; template: { spec: { restartPolicy: string; containers: { args: string[]; env: { name: string; valueFrom?: Record<string, Record<string, string>> }[] }[] } } };
    };
    const { spec } = job;
    assert.equal(spec.completionMode, 'Indexed');
    assert.equal(spec.parallelism, spec.completions, 'every agent runs at once');
    const [container] = spec.template.spec.containers;
    const args = container!.args;
    const flag = (name: string): string | undefined => {
      const i = args.indexOf(`--${name}`);
      return i < 0 ? undefined : args[i + 1];
    };
    assert.deepEqual(args.slice(0, 2), ['bench', 'latency']);
    assert.equal(Number(flag('agents')), spec.completions, '--agents equals the completions');
    assert.equal(flag('run'), '$(RUN_NAME)');
    assert.equal(flag('agent'), '$(AGENT_INDEX)');
    const env = new Map(container!.env.map((e) => [e.name, e.valueFrom]));
    assert.equal(env.get('RUN_NAME')?.fieldRef?.fieldPath, "metadata.labels['batch.kubernetes.io/job-name']");
    assert.equal(env.get('AGENT_INDEX')?.fieldRef?.fieldPath, "metadata.annotations['batch.kubernetes.io/job-completion-index']");
    assert.deepEqual(env.get('MONGODB_URI')?.secretKeyRef, { name: 'ticker-target', key: 'uri' });
    // Every flag given is one bench latency knows (a renamed flag would break every pod).
    const known = new Set(Object.keys(BenchLatency.flags));
    for (const a of args.filter((x) => x.startsWith('--'))) assert.ok(known.has(a.slice(2)), `bench latency has ${a}`);
  });
});
