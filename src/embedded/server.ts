import net from 'node:net';
import { Binary, Long, type Document } from 'bson';
import { Authenticator, checkBindSafety, type AuthCredentials } from './auth/index.js';
import { mongodCommands } from './commands/index.js';
import type { CommandContext, CommandTable, ConnectionState } from './commands/context.js';
import { CursorRegistry, type CursorOwner } from './cursors.js';
import { DataNode } from './data-node.js';
import { CODE_NAMES, CommandError, ErrorCode } from './errors.js';
import { mingoError } from './storage/mingo-errors.js';
import { checkArgumentTypes, checkWritableNamespace, parseWriteConcern, unsatisfiableWriteConcern } from './limits.js';
import { tooLargeCommand } from './wire/messages.js';
import { FailPoints } from './failpoints.js';
import { Deadline, MAX_TIME_MS_EXPIRED, parseMaxTimeMS, unlimited } from './exec/deadline.js';
import { FaultInjector } from './faults.js';
import { RetryableWrites, type RetryKey } from './retryable-writes.js';
import { errorLabelsFor } from './transactions/labels.js';
import { SessionTransactions, type CommandScope } from './transactions/sessions.js';
import { Topology, type TopologyOptions } from './topology.js';
import { FrameReader, ProtocolViolation } from './wire/frame-reader.js';
import { decodeRequest, encodeOpMsg, encodeOpReply, type Request } from './wire/messages.js';
import { MAX_MESSAGE_SIZE, OP_QUERY } from './wire/opcodes.js';

export interface WireServerOptions {
  host: string;
  port: number;
  replicaSet: string;
  oplogEntries: number;
  role?: TopologyOptions['role'];
  commands?: CommandTable;
  log?: (line: string) => void;
  /** Require SCRAM-SHA-256 authentication as this one user (in `admin`). */
  auth?: AuthCredentials;
  /** Allow binding a non-loopback address without auth (`--insecure-bind`). */
  allowUnauthenticatedRemote?: boolean;
  /** How a transaction starts (a router's spans its shards); by default on this server's node. */
  beginTransaction?: ConstructorParameters<typeof SessionTransactions>[2];
  /** How a router recovers a transaction another router of its cluster ran (commit with a recoveryToken). */
  recoverTransaction?: ConstructorParameters<typeof SessionTransactions>[3];
}

const HELLO_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);
const ZERO_SIGNATURE = { hash: new Binary(Buffer.alloc(20), 0), keyId: Long.fromNumber(0) };
/** Whole frames waiting on one connection beyond which it stops reading (as mongod reads one at a time). */
const MAX_QUEUED_BYTES = MAX_MESSAGE_SIZE;
/** mongod's maxBSONDepth: deeper incoming documents are refused (and never reach code that recurses). */
const MAX_BSON_DEPTH = 200;

/** A MongoDB wire-protocol server in front of one DataNode: connections, dispatch, sessions, fail points. */
export class WireServer {
  readonly node: DataNode;
  readonly topology: Topology;
  readonly cursors = new CursorRegistry();
  readonly failPoints = new FailPoints();
  readonly retryableWrites = new RetryableWrites();
  /** Logical sessions: transactions and their txnNumbers (snapshot reads are decided there too). */
  readonly sessions: SessionTransactions;
  /** Drop, step down, pause, restart (see faults.ts). */
  readonly faults: FaultInjector = new FaultInjector(this);
  readonly auth: Authenticator;
  private readonly tcp = net.createServer((socket) => this.accept(socket));
  private readonly sockets = new Map<net.Socket, AbortController>();
  private readonly commands: CommandTable;
  private nextConnectionId = 1;
  private readonly log: (line: string) => void;
  private closing = false;

  constructor(readonly options: WireServerOptions, node?: DataNode) {
    checkBindSafety(options.host, options.auth !== undefined, options.allowUnauthenticatedRemote === true);
    this.node = node ?? new DataNode(options.oplogEntries);
    this.topology = new Topology({ host: options.host, port: options.port, replicaSet: options.replicaSet, role: options.role ?? 'replicaSetPrimary' });
    this.auth = new Authenticator(options.auth);
    this.sessions = new SessionTransactions(this.node, () => this.topology.options.role !== 'standalone', options.beginTransaction, options.recoverTransaction);
    this.commands = { ...(options.commands ?? mongodCommands), ...this.auth.commands };
    this.log = options.log ?? (() => {});
  }

  /** Listens on the configured port; after the first time (port 0 resolved), on the same port again. */
  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(this.topology.options.port, this.options.host, () => {
        this.tcp.off('error', reject);
        resolve();
      });
    });
    const address = this.tcp.address() as net.AddressInfo;
    this.topology.options.port = address.port;
  }

  get port(): number {
    return this.topology.options.port;
  }

  /** Closes every client connection, as a restart or network partition would. */
  dropConnections(): void {
    for (const socket of this.sockets.keys()) socket.destroy();
  }

  /**
   * A restart with the data kept: listener and connections closed, cursors and fail points lost, `downMs`
   * of nothing listening, then the same host and port again as a new process (new topologyVersion.processId).
   */
  async restart(downMs = 0): Promise<void> {
    if (this.closing) return;
    this.log(`restarting (down for ${downMs} ms)`);
    await this.stopListening();
    if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
    if (this.closing) return;
    this.topology.restarted();
    await this.listen();
  }

  async close(): Promise<void> {
    this.closing = true;
    this.faults.clear();
    await this.stopListening();
  }

  private async stopListening(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.tcp.close(() => resolve()));
    this.cursors.killAll();
    this.failPoints.clear();
    this.dropConnections();
    await closed;
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const closed = new AbortController();
    this.sockets.set(socket, closed);
    const conn: ConnectionState = { id: this.nextConnectionId++, remote: `${socket.remoteAddress}:${socket.remotePort}`, closed: closed.signal };
    const reader = new FrameReader();
    const queue: Buffer[] = [];
    let queuedBytes = 0;
    let busy = false;
    const pump = async () => {
      if (busy) return;
      busy = true;
      while (queue.length > 0 && !socket.destroyed) {
        const frame = queue.shift()!;
        queuedBytes -= frame.length;
        if (socket.isPaused() && queuedBytes < MAX_QUEUED_BYTES / 2) socket.resume();
        try {
          await this.handleFrame(frame, socket, conn);
        } catch (err) {
          // Whatever a client sent, only its own connection pays for it.
          this.reject(socket, conn, err as Error);
        }
      }
      busy = false;
    };
    socket.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch (err) {
        this.reject(socket, conn, err as Error);
        return;
      }
      if (frames.length === 0) return;
      for (const frame of frames) {
        queue.push(frame);
        queuedBytes += frame.length;
      }
      if (queuedBytes > MAX_QUEUED_BYTES) socket.pause();
      void pump();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      closed.abort();
      this.sockets.delete(socket);
    });
  }

  private reject(socket: net.Socket, conn: ConnectionState, err: Error): void {
    this.log(`closing connection ${conn.id} from ${conn.remote}: ${err.message}`);
    socket.destroy();
  }

  private async handleFrame(frame: Buffer, socket: net.Socket, conn: ConnectionState): Promise<void> {
    let request: Request;
    try {
      request = decodeRequest(frame);
    } catch (err) {
      if (err instanceof ProtocolViolation) return this.reject(socket, conn, err);
      throw err;
    }
    if (deeperThan(request.command, MAX_BSON_DEPTH)) return this.reject(socket, conn, new ProtocolViolation(`BSON nested deeper than ${MAX_BSON_DEPTH} levels`));
    let responseTo = request.requestId;
    if (request.opCode === OP_QUERY && !HELLO_COMMANDS.has(Object.keys(request.command)[0])) {
      // Since 6.0 mongod answers OP_QUERY only for the handshake.
      await send(socket, encodeOpReply(this.withClusterTime(unsupportedOpQuery(Object.keys(request.command)[0])), responseTo));
      return;
    }
    for (;;) {
      const reply = await this.execute(request.command, conn, socket);
      if (reply === undefined || socket.destroyed || request.moreToCome) return;
      if (request.opCode === OP_QUERY) {
        await send(socket, encodeOpReply(reply, responseTo));
        return;
      }
      // Exhaust (streaming hello): keep answering the same request until the connection closes.
      const exhaust = request.exhaustAllowed && HELLO_COMMANDS.has(Object.keys(request.command)[0]) && reply.ok === 1 && request.command.maxAwaitTimeMS !== undefined;
      const { frame: out, requestId } = encodeOpMsg(reply, responseTo, exhaust);
      await send(socket, out);
      if (!exhaust) return;
      responseTo = requestId;
      request = { ...request, command: { ...request.command, topologyVersion: reply.topologyVersion } };
    }
  }

  /** Runs one command; undefined means "send nothing" (the fail point closed the connection). */
  private async execute(cmd: Document, conn: ConnectionState, socket: net.Socket): Promise<Document | undefined> {
    await this.faults.gate();
    const name = Object.keys(cmd)[0];
    const db = typeof cmd.$db === 'string' ? cmd.$db : 'admin';
    const ctx: CommandContext = { db, node: this.node, topology: this.topology, cursors: this.cursors, failPoints: this.failPoints, conn, sessions: this.sessions, deadline: unlimited() };
    let retryKey: RetryKey | undefined;
    let scope: CommandScope | undefined;
    let reply: Document;
    try {
      this.auth.check(name, conn);
      ctx.deadline = commandDeadline(name, cmd, conn, this.failPoints);
      if (cmd.$clusterTime?.clusterTime) this.node.clock.advanceTo(cmd.$clusterTime.clusterTime);
      retryKey = this.retryableWrites.keyOf(name, cmd);
      const failure = this.failPoints.check(name, conn.clientMetadata?.application?.name);
      if (failure?.blockConnection) await sleep(failure.blockTimeMS ?? 0, conn.closed);
      if (failure?.closeConnection) {
        socket.destroy();
        return undefined;
      }
      if (failure?.errorCode !== undefined) {
        const err = new CommandError(failure.errorCode, failure.errmsg ?? "Failing command via 'failCommand' failpoint", failure.errorLabels ?? []);
        err.fixedLabels = failure.errorLabels !== undefined;
        throw err;
      }
      const previous = retryKey ? this.retryableWrites.get(retryKey) : undefined;
      if (previous) {
        reply = previous;
      } else {
        // After the fail point, as in mongod: an injected error leaves the session's transaction as it was.
        scope = this.sessions.scope(name, cmd, conn.user);
        ctx.node = scope.node;
        ctx.transaction = scope.transaction;
        ctx.readAt = scope.readAt;
        if (retryKey) ctx.retry = this.retryableWrites.log(retryKey);
        reply = scope.finish(await this.dispatch(name, cmd, ctx));
        if (retryKey && reply.ok === 1 && !ctx.retry?.incomplete) this.retryableWrites.remember(retryKey, reply);
      }
      if (failure?.writeConcernError) reply = withWriteConcernError(reply, failure.writeConcernError, failure.errorLabels ?? errorLabelsFor(name, cmd, undefined, failure.writeConcernError.code));
    } catch (err) {
      scope?.failed();
      if (!(err instanceof CommandError)) this.log(`command ${name} on connection ${conn.id} failed: ${(err as Error)?.stack ?? String(err)}`);
      reply = errorReply(err, name, cmd);
    }
    if (ctx.retry?.dropReply) {
      socket.destroy();
      return undefined;
    }
    // As in mongod, a getMore interrupted by its client going away takes its cursor with it.
    if (name === 'getMore' && conn.closed.aborted) this.cursors.kill(Number(cmd.getMore));
    await this.faults.gate();
    return this.withClusterTime(reply);
  }

  private async dispatch(name: string, cmd: Document, ctx: CommandContext): Promise<Document> {
    const handler = name !== undefined && Object.hasOwn(this.commands, name) ? this.commands[name] : undefined;
    if (!handler) throw new CommandError(ErrorCode.CommandNotFound, `no such command: '${name}'`);
    const stateError = this.topology.stateError(name, cmd, name === 'getMore' && this.isChangeStream(cmd, ctx.db));
    if (stateError) throw stateError;
    if (tooLargeCommand(cmd)) throw tooLargeCommand(cmd);
    checkArgumentTypes(name, cmd);
    parseWriteConcern(name, cmd);
    checkWritableNamespace(name, cmd, ctx.db);
    if (name === 'getMore') this.cursors.checkOwner(Number(cmd.getMore), cursorOwner(cmd, ctx.conn));
    let reply = await handler(cmd, ctx);
    const cursorId = reply.cursor?.id;
    if (cursorId !== undefined && Number(cursorId) !== 0 && name !== 'getMore') this.cursors.setOwner(Number(cursorId), cursorOwner(cmd, ctx.conn));
    const unsatisfiable = unsatisfiableWriteConcern(name, cmd, 1);
    if (unsatisfiable && reply.writeConcernError === undefined) reply = withWriteConcernError(reply, unsatisfiable, []);
    return HELLO_COMMANDS.has(name) ? withFields(reply, this.auth.helloFields(cmd, ctx.conn)) : reply;
  }

  private isChangeStream(getMore: Document, db: string): boolean {
    try {
      return this.cursors.get(Number(getMore.getMore), `${db}.${String(getMore.collection)}`).kind === 'changeStream';
    } catch {
      return false;
    }
  }

  private withClusterTime(reply: Document): Document {
    if (this.topology.options.role === 'standalone') return reply; // a standalone keeps no cluster time
    const time = this.node.clock.now();
    return { ...reply, $clusterTime: { clusterTime: time, signature: ZERO_SIGNATURE }, operationTime: time };
  }
}

/** The error reply, labelled as mongod labels it (unless whoever raised it chose the labels: a fail point). */
/**
 * The command's deadline from its maxTimeMS (getMore's maxTimeMS is an await time for tailable cursors, not a
 * limit). With the `maxTimeAlwaysTimeOut` fail point on, a command that sets maxTimeMS times out at once.
 */
function commandDeadline(name: string, cmd: Document, conn: ConnectionState, failPoints: FailPoints): Deadline {
  if (name === 'getMore') return new Deadline(Infinity, conn.closed);
  const maxTimeMS = parseMaxTimeMS(cmd, name);
  if (maxTimeMS > 0 && failPoints.take('maxTimeAlwaysTimeOut')) throw new CommandError(MAX_TIME_MS_EXPIRED, 'operation exceeded time limit');
  return Deadline.after(maxTimeMS, conn.closed);
}

/**
 * Our own errors that carry a MongoDB code keep their text; anything else (a JavaScript TypeError from an
 * argument of the wrong type, say) is mapped to mongod's code without ever showing JavaScript's text.
 */
function asCommandError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'number' && CODE_NAMES[code] !== undefined && err instanceof Error) return new CommandError(code, err.message);
  return mingoError(err);
}

/** mongod 6.0+'s answer to an OP_QUERY that is not the handshake. */
function unsupportedOpQuery(command: string): Document {
  return new CommandError(352, `Unsupported OP_QUERY command: ${command}. The client driver may require an upgrade. For more details see https://dochub.mongodb.org/core/legacy-opcode-removal`).toReply();
}

/** Who may continue a cursor: the session and user that opened it. */
function cursorOwner(cmd: Document, conn: ConnectionState): CursorOwner {
  const id = cmd.lsid?.id;
  const lsid = id && typeof id === 'object' && typeof id.toString === 'function' ? (id.toString('hex') as string) : undefined;
  return { lsid, user: conn.user };
}

function errorReply(err: unknown, name: string, cmd: Document): Document {
  const error = asCommandError(err);
  if (!error.fixedLabels && error.labels.length === 0) error.labels.push(...errorLabelsFor(name, cmd, error.code, undefined));
  return error.toReply();
}

/** A successful reply carrying a write-concern error, with the labels it earns (before `ok`, as mongod). */
function withWriteConcernError(reply: Document, writeConcernError: Document, labels: string[]): Document {
  if (reply.ok !== 1) return reply;
  const { ok, ...rest } = reply;
  return labels.length > 0 ? { ...rest, writeConcernError, errorLabels: labels, ok } : { ...rest, writeConcernError, ok };
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

/** Writes a frame, waiting while the client is not reading (so a client that never reads cannot grow our memory). */
function send(socket: net.Socket, frame: Buffer): Promise<void> | void {
  if (socket.write(frame) || socket.destroyed) return;
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** Adds fields before `ok` (which mongod sends last). */
function withFields(reply: Document, fields: Document): Document {
  if (Object.keys(fields).length === 0) return reply;
  const { ok, ...rest } = reply;
  return { ...rest, ...fields, ok };
}

/** True when plain objects/arrays nest more than `limit` levels (BSON values such as Binary are leaves). */
function deeperThan(value: Document | unknown[], limit: number): boolean {
  if (limit === 0) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (isContainer(item) && deeperThan(item, limit - 1)) return true;
    return false;
  }
  for (const key in value) {
    const item = (value as Document)[key];
    if (isContainer(item) && deeperThan(item, limit - 1)) return true;
  }
  return false;
}

function isContainer(value: unknown): value is Document | unknown[] {
  if (typeof value !== 'object' || value === null) return false;
  if (Array.isArray(value)) return true;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
