import net from 'node:net';
import { Binary, Long, type Document } from 'bson';
import { mongodCommands } from './commands/index.js';
import type { CommandContext, CommandTable, ConnectionState } from './commands/context.js';
import { CursorRegistry } from './cursors.js';
import { DataNode } from './data-node.js';
import { CommandError, ErrorCode } from './errors.js';
import { FailPoints } from './failpoints.js';
import { RetryableWrites } from './retryable-writes.js';
import { Topology, type TopologyOptions } from './topology.js';
import { FrameReader, ProtocolViolation } from './wire/frame-reader.js';
import { decodeRequest, encodeOpMsg, encodeOpReply, type Request } from './wire/messages.js';
import { OP_QUERY } from './wire/opcodes.js';

export interface WireServerOptions {
  host: string;
  port: number;
  replicaSet: string;
  oplogEntries: number;
  role?: TopologyOptions['role'];
  commands?: CommandTable;
  log?: (line: string) => void;
}

// Codes for which a 4.4+ server labels a failed retryable write RetryableWriteError.
const RETRYABLE_WRITE_CODES = new Set([6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436]);
const HELLO_COMMANDS = new Set(['hello', 'isMaster', 'ismaster']);
const ZERO_SIGNATURE = { hash: new Binary(Buffer.alloc(20), 0), keyId: Long.fromNumber(0) };

/** A MongoDB wire-protocol server in front of one DataNode: connections, dispatch, sessions, fail points. */
export class WireServer {
  readonly node: DataNode;
  readonly topology: Topology;
  readonly cursors = new CursorRegistry();
  readonly failPoints = new FailPoints();
  readonly retryableWrites = new RetryableWrites();
  private readonly tcp = net.createServer((socket) => this.accept(socket));
  private readonly sockets = new Map<net.Socket, AbortController>();
  private readonly commands: CommandTable;
  private nextConnectionId = 1;
  private readonly log: (line: string) => void;

  constructor(readonly options: WireServerOptions, node?: DataNode) {
    this.node = node ?? new DataNode(options.oplogEntries);
    this.topology = new Topology({ host: options.host, port: options.port, replicaSet: options.replicaSet, role: options.role ?? 'replicaSetPrimary' });
    this.commands = options.commands ?? mongodCommands;
    this.log = options.log ?? (() => {});
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.tcp.once('error', reject);
      this.tcp.listen(this.options.port, this.options.host, () => {
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

  async close(): Promise<void> {
    this.cursors.killAll();
    this.dropConnections();
    await new Promise<void>((resolve) => this.tcp.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    socket.setNoDelay(true);
    const closed = new AbortController();
    this.sockets.set(socket, closed);
    const conn: ConnectionState = { id: this.nextConnectionId++, remote: `${socket.remoteAddress}:${socket.remotePort}`, closed: closed.signal };
    const reader = new FrameReader();
    const queue: Buffer[] = [];
    let busy = false;
    const pump = async () => {
      if (busy) return;
      busy = true;
      while (queue.length > 0 && !socket.destroyed) await this.handleFrame(queue.shift()!, socket, conn);
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
      queue.push(...frames);
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
    let responseTo = request.requestId;
    for (;;) {
      const reply = await this.execute(request.command, conn, socket);
      if (reply === undefined || socket.destroyed || request.moreToCome) return;
      if (request.opCode === OP_QUERY) {
        socket.write(encodeOpReply(reply, responseTo));
        return;
      }
      // Exhaust (streaming hello): keep answering the same request until the connection closes.
      const exhaust = request.exhaustAllowed && HELLO_COMMANDS.has(Object.keys(request.command)[0]) && reply.ok === 1 && request.command.maxAwaitTimeMS !== undefined;
      const { frame: out, requestId } = encodeOpMsg(reply, responseTo, exhaust);
      socket.write(out);
      if (!exhaust) return;
      responseTo = requestId;
      request = { ...request, command: { ...request.command, topologyVersion: reply.topologyVersion } };
    }
  }

  /** Runs one command; undefined means "send nothing" (the fail point closed the connection). */
  private async execute(cmd: Document, conn: ConnectionState, socket: net.Socket): Promise<Document | undefined> {
    const name = Object.keys(cmd)[0];
    const db = typeof cmd.$db === 'string' ? cmd.$db : 'admin';
    const ctx: CommandContext = { db, node: this.node, topology: this.topology, cursors: this.cursors, failPoints: this.failPoints, conn };
    if (cmd.$clusterTime?.clusterTime) this.node.clock.advanceTo(cmd.$clusterTime.clusterTime);
    const retryKey = this.retryableWrites.keyOf(name, cmd);
    let reply: Document;
    try {
      const failure = this.failPoints.check(name, conn.clientMetadata?.application?.name);
      if (failure?.blockConnection) await sleep(failure.blockTimeMS ?? 0, conn.closed);
      if (failure?.closeConnection) {
        socket.destroy();
        return undefined;
      }
      if (failure?.errorCode !== undefined) {
        const labels = failure.errorLabels ?? (retryKey && RETRYABLE_WRITE_CODES.has(failure.errorCode) ? ['RetryableWriteError'] : []);
        throw new CommandError(failure.errorCode, failure.errmsg ?? "Failing command via 'failCommand' failpoint", labels);
      }
      const previous = retryKey ? this.retryableWrites.get(retryKey) : undefined;
      if (previous) {
        reply = previous;
      } else {
        reply = await this.dispatch(name, cmd, ctx);
        if (retryKey && reply.ok === 1) this.retryableWrites.remember(retryKey, reply);
      }
      if (failure?.writeConcernError) reply = { ...reply, writeConcernError: failure.writeConcernError };
    } catch (err) {
      reply = errorReply(err, retryKey !== undefined);
    }
    return this.withClusterTime(reply);
  }

  private dispatch(name: string, cmd: Document, ctx: CommandContext): Document | Promise<Document> {
    const handler = name !== undefined && Object.hasOwn(this.commands, name) ? this.commands[name] : undefined;
    if (!handler) throw new CommandError(ErrorCode.CommandNotFound, `no such command: '${name}'`);
    if (!this.topology.writablePrimary && !HELLO_COMMANDS.has(name) && WRITE_COMMANDS.has(name)) {
      throw new CommandError(ErrorCode.NotWritablePrimary, 'not primary', ['RetryableWriteError']);
    }
    return handler(cmd, ctx);
  }

  private withClusterTime(reply: Document): Document {
    const time = this.node.clock.now();
    return { ...reply, $clusterTime: { clusterTime: time, signature: ZERO_SIGNATURE }, operationTime: time };
  }
}

const WRITE_COMMANDS = new Set(['insert', 'update', 'delete', 'findAndModify', 'findandmodify', 'create', 'drop', 'dropDatabase', 'createIndexes', 'dropIndexes', 'renameCollection', 'collMod']);

function errorReply(err: unknown, retryableWrite: boolean): Document {
  if (err instanceof CommandError) {
    if (retryableWrite && err.labels.length === 0 && RETRYABLE_WRITE_CODES.has(err.code)) err.labels.push('RetryableWriteError');
    return err.toReply();
  }
  const code = typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1;
  return new CommandError(code, (err as Error).message ?? String(err)).toReply();
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
