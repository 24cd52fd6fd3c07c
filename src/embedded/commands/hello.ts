import { Long, Timestamp, type Document } from 'bson';
import { MAX_BSON_OBJECT_SIZE, MAX_MESSAGE_SIZE } from '../wire/opcodes.js';
import { CommandError, ErrorCode } from '../errors.js';
import type { CommandContext, CommandTable, ConnectionState } from './context.js';

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
  if (topology.options.role === 'standalone') return { ...primaryFlag, ...common, ok: 1 };
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

/**
 * Connections seen by each server (every connection's first command is a hello), for serverStatus.
 * Keyed by the topology object so that several servers in one process keep separate counts.
 */
const liveConnections = new WeakMap<object, { current: Set<ConnectionState>; totalCreated: number }>();

function track(ctx: CommandContext): void {
  let seen = liveConnections.get(ctx.topology);
  if (!seen) liveConnections.set(ctx.topology, (seen = { current: new Set(), totalCreated: 0 }));
  const { conn } = ctx;
  if (seen.current.has(conn) || conn.closed.aborted) return;
  seen.current.add(conn);
  seen.totalCreated++;
  const entry = seen;
  conn.closed.addEventListener('abort', () => entry.current.delete(conn), { once: true });
}

function connectionCounts(ctx: CommandContext): Document {
  track(ctx);
  const seen = liveConnections.get(ctx.topology)!;
  const current = seen.current.size;
  return { current, available: 838_860 - current, totalCreated: seen.totalCreated, active: 1 };
}

async function hello(cmd: Document, ctx: CommandContext): Promise<Document> {
  track(ctx);
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
  serverStatus: (cmd, ctx) => serverStatus(ctx, cmd),
  getParameter: (cmd, ctx) => {
    adminOnly(ctx, 'getParameter');
    const known: Document = {
      featureCompatibilityVersion: { version: '7.0' },
      periodicNoopIntervalSecs: 10,
      authenticationMechanisms: ['SCRAM-SHA-1', 'SCRAM-SHA-256'],
      enableTestCommands: 1,
      maxBSONDepth: 200,
      transactionLifetimeLimitSeconds: 60,
      logLevel: 0,
    };
    if (cmd.getParameter === '*' || (typeof cmd.getParameter === 'object' && cmd.getParameter?.allParameters)) return { ...known, ok: 1 };
    const reply: Document = {};
    for (const key of Object.keys(cmd)) {
      if (key === 'getParameter' || key.startsWith('$') || key === 'lsid' || key === 'comment') continue;
      if (!(key in known)) throw new CommandError(ErrorCode.InvalidOptions, `no option found to get`);
      reply[key] = known[key];
    }
    if (Object.keys(reply).length === 0) throw new CommandError(ErrorCode.InvalidOptions, 'no option found to get');
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
  replSetGetConfig: (_cmd, ctx) => {
    replicaSetMemberOnly(ctx, 'replSetGetConfig');
    const { topology } = ctx;
    return {
      config: {
        _id: topology.options.replicaSet,
        version: 1,
        term: topology.currentTerm,
        members: [{
          _id: 0, host: topology.address, arbiterOnly: false, buildIndexes: true, hidden: false, priority: 1, tags: {},
          secondaryDelaySecs: Long.fromNumber(0), votes: 1,
        }],
        protocolVersion: Long.fromNumber(1),
        writeConcernMajorityJournalDefault: true,
        settings: {
          chainingAllowed: true,
          heartbeatIntervalMillis: 2000,
          heartbeatTimeoutSecs: 10,
          electionTimeoutMillis: 10000,
          catchUpTimeoutMillis: -1,
          catchUpTakeoverDelayMillis: 30000,
          getLastErrorModes: {},
          getLastErrorDefaults: { w: 1, wtimeout: 0 },
          replicaSetId: topology.replicaSetId,
        },
      },
      ok: 1,
    };
  },
  replSetGetStatus: (_cmd, ctx) => {
    replicaSetMemberOnly(ctx, 'replSetGetStatus');
    const ts = ctx.node.clock.now();
    const opTime = { ts, t: Long.fromNumber(1) };
    const optimeDate = new Date(ts.t * 1000);
    const primary = ctx.topology.writablePrimary;
    return {
      set: ctx.topology.options.replicaSet,
      date: new Date(),
      myState: primary ? 1 : 2,
      term: Long.fromNumber(ctx.topology.currentTerm),
      syncSourceHost: '',
      syncSourceId: -1,
      heartbeatIntervalMillis: Long.fromNumber(2000),
      majorityVoteCount: 1,
      writeMajorityCount: 1,
      votingMembersCount: 1,
      writableVotingMembersCount: 1,
      optimes: {
        lastCommittedOpTime: opTime,
        lastCommittedWallTime: optimeDate,
        readConcernMajorityOpTime: opTime,
        appliedOpTime: opTime,
        durableOpTime: opTime,
        lastAppliedWallTime: optimeDate,
        lastDurableWallTime: optimeDate,
      },
      members: [{
        _id: 0, name: ctx.topology.address, health: 1, state: primary ? 1 : 2,
        stateStr: primary ? 'PRIMARY' : 'SECONDARY', uptime: Math.floor(process.uptime()),
        optime: opTime, optimeDate, lastAppliedWallTime: optimeDate, lastDurableWallTime: optimeDate,
        syncSourceHost: '', syncSourceId: -1, infoMessage: '',
        electionTime: new Timestamp({ t: Math.floor(START_TIME / 1000), i: 1 }), electionDate: new Date(START_TIME),
        configVersion: 1, configTerm: 1, self: true, lastHeartbeatMessage: '',
      }],
      ok: 1,
    };
  },
};

const START_TIME = Date.now();

/**
 * The replication commands a mongos does not have (so: CommandNotFound, as for any unknown name), a
 * standalone refuses, and a member answers only on `admin`.
 */
function replicaSetMemberOnly(ctx: CommandContext, command: string): void {
  if (ctx.topology.options.role === 'mongos') throw new CommandError(ErrorCode.CommandNotFound, `no such command: '${command}'`);
  if (ctx.topology.options.role === 'standalone') throw new CommandError(76, 'not running with --replSet');
  adminOnly(ctx, command);
}

function adminOnly(ctx: CommandContext, command: string): void {
  if (ctx.db !== 'admin') throw new CommandError(ErrorCode.Unauthorized, `${command} may only be run against the admin database.`);
}

function serverStatus(ctx: CommandContext, cmd: Document = {}): Document {
  const { topology } = ctx;
  const mongos = topology.options.role === 'mongos';
  const memory = process.memoryUsage();
  const status: Document = {
    host: topology.address,
    version: SERVER_VERSION,
    process: mongos ? 'mongos' : 'mongod',
    pid: Long.fromNumber(process.pid),
    uptime: Math.floor(process.uptime()),
    uptimeMillis: Long.fromNumber(Math.floor(process.uptime() * 1000)),
    uptimeEstimate: Long.fromNumber(Math.floor(process.uptime())),
    localTime: new Date(),
    connections: connectionCounts(ctx),
    mem: { bits: 64, resident: Math.round(memory.rss / 1048576), virtual: Math.round(memory.rss / 1048576), supported: true },
  };
  if (!mongos) {
    const address = topology.address;
    status.repl = {
      topologyVersion: topology.version,
      hosts: [address],
      setName: topology.options.replicaSet,
      setVersion: 1,
      isWritablePrimary: topology.writablePrimary,
      secondary: !topology.writablePrimary,
      primary: topology.writablePrimary ? address : undefined,
      me: address,
      electionId: topology.electionId,
      rbid: 1,
    };
    status.storageEngine = { name: 'inMemory', supportsCommittedReads: true, persistent: false };
    // As mongod's OplogInfoServerStatus: only when asked ({ oplog: 1 }), the newest and oldest entry times.
    const { oldest, newest } = ctx.node.oplog;
    if (cmd.oplog && oldest && newest) status.oplog = { latestOptime: newest.ts, earliestOptime: oldest.ts };
  }
  status.ok = 1;
  return status;
}

const ARCH: Record<string, string> = { x64: 'x86_64', arm64: 'aarch64', ia32: 'i386', ppc64: 'ppc64le', s390x: 's390x' };

/**
 * buildInfo as a 7.0 mongod (or, for `mongos`, a mongos: no storageEngines) lists its fields. The build is
 * this server's own: no OpenSSL (as a build without TLS reports it), no JavaScript engine.
 */
export function buildInfoReply(mongos = false): Document {
  const arch = ARCH[process.arch] ?? process.arch;
  const target = process.platform === 'win32' ? 'windows' : process.platform === 'darwin' ? 'macOS' : process.platform;
  const reply: Document = {
    version: SERVER_VERSION,
    gitVersion: 'ticker-embedded',
    modules: [],
    allocator: 'system',
    javascriptEngine: 'none',
    sysInfo: 'deprecated',
    versionArray: SERVER_VERSION.split('.').map(Number).concat(0),
    openssl: { running: 'disabled', compiled: 'disabled' },
    buildEnvironment: {
      distmod: '', distarch: arch, cc: '', ccflags: '', cxx: '', cxxflags: '', linkflags: '', target_arch: arch, target_os: target, cppdefines: '',
    },
    bits: 64,
    debug: false,
    maxBsonObjectSize: MAX_BSON_OBJECT_SIZE,
  };
  if (!mongos) reply.storageEngines = ['inMemory'];
  reply.ok = 1;
  return reply;
}

function buildInfo(_cmd: Document, ctx: CommandContext): Document {
  return buildInfoReply(ctx.topology.options.role === 'mongos');
}
