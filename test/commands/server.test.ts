import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { MongoClient } from 'mongodb';

// `ticker server` as a user runs it: a child process, a driver connecting to the printed URI, Ctrl-C.

const BIN = fileURLToPath(new URL('../../../bin/run.js', import.meta.url));

interface Running {
  child: ChildProcess;
  stdout: string[];
  stderr: () => string;
  exited: Promise<number | null>;
}

function start(args: string[]): Running {
  const child = spawn(process.execPath, [BIN, 'server', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  const stdout: string[] = [];
  let stderr = '';
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop()!;
    stdout.push(...lines);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout, stderr: () => stderr, exited };
}

async function firstStdoutLine(run: Running, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (run.stdout.length === 0) {
    if (Date.now() > deadline || run.child.exitCode !== null) assert.fail(`no connection string printed; stderr: ${run.stderr()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return run.stdout[0];
}

describe('ticker server', () => {
  it('--port 0 prints the bound port; the driver connects; a malformed connection is logged; SIGINT exits 130 with a summary', async () => {
    const run = start(['--port', '0', '--replica-set', 'rsT']);
    try {
      const uri = await firstStdoutLine(run);
      const m = /^mongodb:\/\/127\.0\.0\.1:(\d+)\/\?replicaSet=rsT$/.exec(uri);
      assert.ok(m, uri);
      assert.notEqual(Number(m[1]), 0);
      const client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
      try {
        assert.equal((await client.db('admin').command({ ping: 1 })).ok, 1);
        const hello = await client.db('admin').command({ hello: 1 });
        assert.equal(hello.setName, 'rsT');
        await client.db('t').collection<{ _id: number }>('c').insertOne({ _id: 1 });
        await new Promise<void>((resolve) => {
          const s = net.connect(Number(m[1]), '127.0.0.1', () => s.write(Buffer.from('GET / HTTP/1.0\r\n\r\n')));
          s.on('close', () => resolve());
          s.on('error', () => resolve());
        });
        assert.equal((await client.db('admin').command({ ping: 1 })).ok, 1);
      } finally {
        await client.close();
      }
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 130);
      assert.match(run.stderr(), /closing connection \d+ from 127\.0\.0\.1:\d+: /);
      assert.match(run.stderr(), /stopped \(SIGINT\) after [\d.]+ s: 1 databases, 1 collections, 1 documents/);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('SIGTERM stops it cleanly too, exit 143', async () => {
    const run = start(['--port', '0']);
    try {
      await firstStdoutLine(run);
      run.child.kill('SIGTERM');
      assert.equal(await run.exited, 143);
      assert.match(run.stderr(), /stopped \(SIGTERM\)/);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('a port in use: one line on stderr, no stack trace, non-zero exit', async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const run = start(['--port', String(port)]);
      const code = await run.exited;
      assert.notEqual(code, 0);
      const lines = run.stderr().trim().split('\n');
      assert.equal(lines.length, 1, run.stderr());
      assert.match(lines[0], new RegExp(`port ${port} is already in use`));
      assert.doesNotMatch(run.stderr(), /\n\s+at /);
      assert.deepEqual(run.stdout, []);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  for (const [args, pattern] of [
    [['--sharded', '--standalone'], /^Error: --sharded and --standalone exclude each other/],
    [['--sharded', '--replica-set', 'rs1'], /^Error: --replica-set names the set of a replica-set primary; a mongos \(--sharded\) has none$/],
    [['--routers', '2'], /^Error: --routers is the number of mongos routers of --sharded; a replica-set primary has none$/],
  ] as const) {
    it(`${args.join(' ')} is refused, not ignored: one line, exit 2 (a bad flag)`, async () => {
      const run = start(['--port', '0', ...args]);
      try {
        let timer: NodeJS.Timeout | undefined;
        const code = await Promise.race([run.exited, new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still running'), 15_000)))]);
        clearTimeout(timer);
        assert.notEqual(code, 'still running', `it started anyway: ${run.stdout.join('\n')}`);
        assert.equal(code, 2, run.stderr());
        const lines = run.stderr().trim().split('\n');
        assert.equal(lines.length, 1, run.stderr());
        assert.match(lines[0]!, pattern);
      } finally {
        run.child.kill('SIGKILL');
      }
    });
  }

  it('--sharded --routers 2 prints one connection string naming both mongoses; each serves the same data', async () => {
    const run = start(['--port', '0', '--sharded', '--shards', '2', '--routers', '2']);
    try {
      const uri = await firstStdoutLine(run);
      const m = /^mongodb:\/\/127\.0\.0\.1:(\d+),127\.0\.0\.1:(\d+)\/$/.exec(uri);
      assert.ok(m, uri);
      assert.notEqual(m[1], m[2]);
      const [a, b] = [m[1], m[2]].map((port) => new MongoClient(`mongodb://127.0.0.1:${port}/?directConnection=true`, { serverSelectionTimeoutMS: 5000 }));
      const both = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
      try {
        assert.equal((await both.db('admin').command({ hello: 1 })).msg, 'isdbgrid');
        await a.db('t').collection<{ _id: number }>('c').insertOne({ _id: 1 });
        assert.deepEqual(await b.db('t').collection('c').find().toArray(), [{ _id: 1 }]);
      } finally {
        await Promise.all([a.close(), b.close(), both.close()]);
      }
      run.child.kill('SIGINT');
      assert.equal(await run.exited, 130);
    } finally {
      run.child.kill('SIGKILL');
    }
  });

  it('a bad --port is a usage error', async () => {
    const run = start(['--port', '70000']);
    assert.notEqual(await run.exited, 0);
    assert.equal(run.stderr().trim().split('\n').length, 1, run.stderr());
  });
});
