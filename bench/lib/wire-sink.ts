import net from 'node:net';
import { Long, ObjectId, Timestamp, type Document } from 'bson';
import { FrameReader } from '../../src/embedded/wire/frame-reader.js';
import { decodeRequest, encodeOpMsg, encodeOpReply } from '../../src/embedded/wire/messages.js';
import { OP_QUERY } from '../../src/embedded/wire/opcodes.js';

/**
 * The baseline for bulk inserts: a server that accepts the same driver connection (answers the handshake
 * as a replica-set primary), fully decodes every message with the embedded server's own frame reader and
 * BSON decode, and answers every command with a minimal ok reply. It stores nothing.
 */
export async function startWireSink(host = '127.0.0.1', port = 0, replicaSet = 'rs0'): Promise<{ port: number; stop: () => Promise<void>; decodedDocuments: () => number }> {
  let documents = 0;
  const processId = new ObjectId();
  const electionId = new ObjectId('7fffffff0000000000000001');
  const sockets = new Set<net.Socket>();
  let address = '';
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const reader = new FrameReader();
    socket.on('data', (chunk) => {
      let frames: Buffer[];
      try {
        frames = reader.push(chunk);
      } catch {
        socket.destroy();
        return;
      }
      for (const frame of frames) {
        const request = decodeRequest(frame);
        const cmd = request.command;
        const name = Object.keys(cmd)[0];
        const time = new Timestamp({ t: Math.floor(Date.now() / 1000), i: 1 });
        let reply: Document;
        if (name === 'hello' || name === 'isMaster' || name === 'ismaster') {
          reply = {
            topologyVersion: { processId, counter: Long.fromNumber(0) },
            hosts: [address], setName: replicaSet, setVersion: 1,
            [name === 'hello' || cmd.helloOk ? 'isWritablePrimary' : 'ismaster']: true,
            secondary: false, primary: address, me: address, electionId,
            maxBsonObjectSize: 16 * 1024 * 1024, maxMessageSizeBytes: 48_000_000, maxWriteBatchSize: 100_000,
            localTime: new Date(), logicalSessionTimeoutMinutes: 30, connectionId: 1, minWireVersion: 0, maxWireVersion: 21,
            readOnly: false, helloOk: cmd.helloOk ? true : undefined, ok: 1,
          };
        } else if (name === 'insert') {
          const n = Array.isArray(cmd.documents) ? cmd.documents.length : 0;
          documents += n;
          reply = { n, ok: 1 };
        } else {
          reply = { ok: 1 };
        }
        if (request.moreToCome) continue;
        reply.$clusterTime = { clusterTime: time, signature: { hash: Buffer.alloc(20), keyId: Long.fromNumber(0) } };
        reply.operationTime = time;
        const out = request.opCode === OP_QUERY ? encodeOpReply(reply, request.requestId) : encodeOpMsg(reply, request.requestId).frame;
        // An awaitable hello (server monitoring) waits, as on a real server; answering at once would spin.
        if (cmd.topologyVersion && typeof cmd.maxAwaitTimeMS === 'number') setTimeout(() => socket.destroyed || socket.write(out), cmd.maxAwaitTimeMS);
        else socket.write(out);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  const bound = (server.address() as net.AddressInfo).port;
  address = `${host}:${bound}`;
  return {
    port: bound,
    decodedDocuments: () => documents,
    stop: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
