import { Long, type Document } from 'bson';
import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE } from '../wire/opcodes.js';
import type { CommandContext, CommandTable } from './context.js';

export const SERVER_VERSION = '7.0.14';
export const MAX_WIRE_VERSION = 21;

/** The hello reply drivers' server discovery reads (fields as a 7.0 primary or mongos sends them). */
export function helloReply(cmd: Document, ctx: CommandContext): Document {
  const { topology, node } = ctx;
  const legacy = !('hello' in cmd) && !cmd.helloOk;
  const common: Document = {
    topologyVersion: topology.version,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    maxMessageSizeBytes: MAX_MESSAGE_SIZE,
    maxWriteBatchSize: 100_000,
    localTime: new Date(),
    logicalSessionTimeoutMinutes: 30,
    connectionId: ctx.conn.id,
    minWireVersion: 0,
    maxWireVersion: MAX_WIRE_VERSION,
    readOnly: false,
  };
  const primaryFlag = legacy ? { ismaster: topology.writablePrimary } : { isWritablePrimary: topology.writablePrimary };
  if (cmd.helloOk) common.helloOk = true;
  if (topology.options.role === 'mongos') {
    return { ...primaryFlag, msg: 'isdbgrid', ...common, ok: 1 };
  }
  const address = topology.address;
  const lastTs = node.clock.now();
  const lastWriteDate = new Date(lastTs.t * 1000);
  return {
    topologyVersion: common.topologyVersion,
    hosts: [address],
    setName: topology.options.replicaSet,
    setVersion: 1,
    ...primaryFlag,
    secondary: !topology.writablePrimary,
    primary: topology.writablePrimary ? address : undefined,
    me: address,
    electionId: topology.electionId,
    lastWrite: {
      opTime: { ts: lastTs, t: Long.fromNumber(1) },
      lastWriteDate,
      majorityOpTime: { ts: lastTs, t: Long.fromNumber(1) },
      majorityWriteDate: lastWriteDate,
    },
    ...common,
    ok: 1,
  };
}

async function hello(cmd: Document, ctx: CommandContext): Promise<Document> {
  if (cmd.client && !ctx.conn.clientMetadata) ctx.conn.clientMetadata = cmd.client;
  // Awaitable hello (streaming server monitoring): answer when the topology changes or the wait ends.
  if (cmd.topologyVersion && typeof cmd.maxAwaitTimeMS === 'number' && ctx.topology.isCurrent(cmd.topologyVersion)) {
    await ctx.topology.waitForChange(cmd.maxAwaitTimeMS, ctx.conn.closed);
  }
  return helloReply(cmd, ctx);
}

export const helloCommands: CommandTable = {
  hello,
  isMaster: hello,
  ismaster: hello,
  ping: () => ({ ok: 1 }),
  buildInfo: buildInfo,
  buildinfo: buildInfo,
  serverStatus: (_cmd, ctx) => ({
    host: ctx.topology.address,
    version: SERVER_VERSION,
    process: ctx.topology.options.role === 'mongos' ? 'mongos' : 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: Math.floor(process.uptime()),
    uptimeMillis: Long.fromNumber(Math.floor(process.uptime() * 1000)),
    localTime: new Date(),
    connections: { current: 0, available: 1_000_000 },
    mem: { bits: 64, resident: Math.round(process.memoryUsage().rss / 1048576), supported: true },
    ok: 1,
  }),
  getParameter: (cmd) => {
    const known: Document = { featureCompatibilityVersion: { version: '7.0' }, periodicNoopIntervalSecs: 10, authenticationMechanisms: ['SCRAM-SHA-256'] };
    if (cmd.getParameter === '*') return { ...known, ok: 1 };
    const reply: Document = {};
    for (const key of Object.keys(cmd)) if (key in known) reply[key] = known[key];
    return { ...reply, ok: 1 };
  },
  hostInfo: () => ({ system: { currentTime: new Date(), hostname: 'localhost', numCores: 2 }, os: { type: process.platform }, ok: 1 }),
  whatsmyuri: (_cmd, ctx) => ({ you: ctx.conn.remote, ok: 1 }),
  getCmdLineOpts: () => ({ argv: ['ticker', 'server'], parsed: {}, ok: 1 }),
  connectionStatus: (_cmd, ctx) => ({
    authInfo: { authenticatedUsers: ctx.conn.user ? [{ user: ctx.conn.user, db: 'admin' }] : [], authenticatedUserRoles: [] },
    ok: 1,
  }),
  endSessions: () => ({ ok: 1 }),
  killAllSessions: () => ({ ok: 1 }),
  refreshSessions: () => ({ ok: 1 }),
  getLog: (cmd) => (cmd.getLog === 'startupWarnings' ? { totalLinesWritten: 0, log: [], ok: 1 } : { names: ['global', 'startupWarnings'], ok: 1 }),
  getFreeMonitoringStatus: () => ({ state: 'disabled', ok: 1 }),
  replSetGetStatus: (_cmd, ctx) => {
    if (ctx.topology.options.role === 'mongos') return { ok: 0, errmsg: 'replSetGetStatus is not supported through mongos', code: 59, codeName: 'CommandNotFound' };
    const ts = ctx.node.clock.now();
    return {
      set: ctx.topology.options.replicaSet,
      date: new Date(),
      myState: ctx.topology.writablePrimary ? 1 : 2,
      term: Long.fromNumber(1),
      members: [{
        _id: 0, name: ctx.topology.address, health: 1, state: ctx.topology.writablePrimary ? 1 : 2,
        stateStr: ctx.topology.writablePrimary ? 'PRIMARY' : 'SECONDARY', uptime: Math.floor(process.uptime()),
        optime: { ts, t: Long.fromNumber(1) }, self: true,
      }],
      ok: 1,
    };
  },
};

function buildInfo(): Document {
  return {
    version: SERVER_VERSION,
    gitVersion: 'ticker-embedded',
    versionArray: SERVER_VERSION.split('.').map(Number).concat(0),
    bits: 64,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
    storageEngines: ['inMemory'],
    modules: [],
    ok: 1,
  };
}
