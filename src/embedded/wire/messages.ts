import { BSON, type Document } from 'bson';
import {
  HEADER_SIZE, MAX_BSON_OBJECT_SIZE, MSG_CHECKSUM_PRESENT, MSG_EXHAUST_ALLOWED, MSG_KNOWN_REQUIRED_BITS, MSG_MORE_TO_COME,
  OP_COMPRESSED, OP_MSG, OP_QUERY, OP_REPLY,
} from './opcodes.js';
import { serializeDocument } from './encoded.js';
import { ProtocolViolation } from './frame-reader.js';
import { CommandError } from '../errors.js';
import { unboxLongs } from '../storage/int64.js';

export interface Request {
  requestId: number;
  opCode: typeof OP_MSG | typeof OP_QUERY;
  /** The command document, with OP_MSG kind-1 sequences folded in as arrays. */
  command: Document;
  moreToCome: boolean;
  exhaustAllowed: boolean;
}

// Values stay close to what the client sent: an int64 becomes a number when a double holds it exactly, and
// is remembered as an int64 (storage/int64.ts) so replies send it back as one. Regexes stay BSON regexes
// (pattern and options as sent): never compiled by JavaScript, whose engine backtracks and whose syntax differs.
const DESERIALIZE = { promoteLongs: false, promoteValues: true, promoteBuffers: false, bsonRegExp: true, validation: { utf8: true } } as const;

/** Documents of a kind-1 sequence over 16 MiB, by command (mongod refuses each with BSONObjectTooLarge). */
const OVERSIZED = new WeakMap<Document, Set<Document>>();
/** Commands whose body section alone is over 16 MiB (+16 KiB): the size. */
const OVERSIZED_BODY = new WeakMap<Document, number>();

/** Commands whose body is over 16 MiB but within the envelope: an inline document may be too large. */
const LARGE_BODY = new WeakSet<Document>();

/**
 * A test for documents of `command` over 16 MiB, or undefined when the message could not hold one (the
 * usual case: nothing is measured per document).
 */
export function oversizedDocumentTest(command: Document): ((doc: Document) => boolean) | undefined {
  const inSequence = OVERSIZED.get(command);
  if (inSequence) return (doc) => inSequence.has(doc);
  if (LARGE_BODY.has(command)) return (doc) => BSON.calculateObjectSize(doc) > MAX_BSON_OBJECT_SIZE;
  return undefined;
}

/** mongod's BSONObjectTooLarge for a command whose body is over the limit; undefined when it is not. */
export function tooLargeCommand(command: Document): CommandError | undefined {
  const size = OVERSIZED_BODY.get(command);
  if (size === undefined) return undefined;
  return new CommandError(10334, `BSONObj size: ${size} (0x${size.toString(16)}) is invalid. Size must be between 0 and ${MAX_BSON_OBJECT_SIZE}(16MB) First element: ${Object.keys(command)[0]}: "${String(Object.values(command)[0])}"`);
}

/** A command's own fields that hold no data: their int64s (txnNumber, keyId, cursor ids) need no marks. */
const UNMARKED_FIELDS = new Set(['lsid', 'txnNumber', 'topologyVersion', 'maxAwaitTimeMS', '$clusterTime', 'getMore', 'cursors', 'maxTimeMS', 'batchSize', 'readConcern', 'writeConcern', '$readPreference', 'limit', 'skip']);

/**
 * Reads one BSON document. A command body (`command`) marks the int64s of its data fields only: the int64
 * every driver sends (txnNumber, $clusterTime's keyId) does not turn on int64 tracking for the replies.
 */
function readDocument(frame: Buffer, offset: number, end: number, command = false): { doc: Document; next: number } {
  if (offset + 5 > end) throw new ProtocolViolation('truncated BSON document');
  const size = frame.readInt32LE(offset);
  if (size < 5 || offset + size > end) throw new ProtocolViolation(`BSON document size ${size} overruns its message`);
  try {
    const doc = BSON.deserialize(frame.subarray(offset, offset + size), DESERIALIZE);
    if (!command) unboxLongs(doc);
    else for (const key of Object.keys(doc)) unboxLongs(doc, !UNMARKED_FIELDS.has(key) && typeof doc[key] === 'object', key);
    return { doc, next: offset + size };
  } catch (err) {
    throw new ProtocolViolation(`invalid BSON: ${(err as Error).message}`);
  }
}

function readCString(frame: Buffer, offset: number, end: number): { value: string; next: number } {
  const zero = frame.indexOf(0, offset);
  if (zero < 0 || zero >= end) throw new ProtocolViolation('unterminated cstring');
  return { value: frame.toString('utf8', offset, zero), next: zero + 1 };
}

/** Decodes one whole frame; any fault at all is a ProtocolViolation (the caller closes the connection). */
export function decodeRequest(frame: Buffer): Request {
  try {
    return decodeFrame(frame);
  } catch (err) {
    if (err instanceof ProtocolViolation) throw err;
    throw new ProtocolViolation(`undecodable message: ${(err as Error).message}`);
  }
}

function decodeFrame(frame: Buffer): Request {
  if (frame.length < HEADER_SIZE) throw new ProtocolViolation('message shorter than its header');
  const requestId = frame.readInt32LE(4);
  const opCode = frame.readInt32LE(12);
  if (opCode === OP_MSG) return decodeOpMsg(frame, requestId);
  if (opCode === OP_QUERY) return decodeOpQuery(frame, requestId);
  if (opCode === OP_COMPRESSED) throw new ProtocolViolation('OP_COMPRESSED received although no compressor was negotiated');
  throw new ProtocolViolation(`unsupported opCode ${opCode}`);
}

function decodeOpMsg(frame: Buffer, requestId: number): Request {
  if (frame.length < HEADER_SIZE + 5) throw new ProtocolViolation('OP_MSG too short');
  const flags = frame.readUInt32LE(HEADER_SIZE);
  if ((flags & 0xffff & ~MSG_KNOWN_REQUIRED_BITS) !== 0) throw new ProtocolViolation(`unknown required OP_MSG flag bits ${flags}`);
  // The CRC-32C is tolerated, not verified: TCP already guarantees integrity on loopback.
  const end = flags & MSG_CHECKSUM_PRESENT ? frame.length - 4 : frame.length;
  let offset = HEADER_SIZE + 4;
  let body: Document | undefined;
  let oversized: Set<Document> | undefined;
  const sequences: Record<string, Document[]> = {};
  while (offset < end) {
    const kind = frame[offset++];
    if (kind === 0) {
      if (body) throw new ProtocolViolation('OP_MSG with two body sections');
      const read = readDocument(frame, offset, end, true);
      body = read.doc;
      if (read.next - offset > MAX_BSON_OBJECT_SIZE + 16 * 1024) OVERSIZED_BODY.set(body, read.next - offset);
      else if (read.next - offset > MAX_BSON_OBJECT_SIZE) LARGE_BODY.add(body);
      offset = read.next;
    } else if (kind === 1) {
      if (offset + 4 > end) throw new ProtocolViolation('truncated document sequence');
      const size = frame.readInt32LE(offset);
      const sectionEnd = offset + size;
      if (size < 5 || sectionEnd > end) throw new ProtocolViolation('document sequence overruns its message');
      const id = readCString(frame, offset + 4, sectionEnd);
      const docs: Document[] = [];
      let at = id.next;
      while (at < sectionEnd) {
        const read = readDocument(frame, at, sectionEnd);
        docs.push(read.doc);
        if (read.next - at > MAX_BSON_OBJECT_SIZE) (oversized ??= new Set()).add(read.doc);
        at = read.next;
      }
      (sequences[id.value] ??= []).push(...docs);
      offset = sectionEnd;
    } else {
      throw new ProtocolViolation(`unknown OP_MSG section kind ${kind}`);
    }
  }
  if (!body) throw new ProtocolViolation('OP_MSG without a body section');
  for (const [name, docs] of Object.entries(sequences)) {
    if (name in body) throw new ProtocolViolation(`document sequence ${name} duplicates a body field`);
    body[name] = docs;
  }
  if (oversized) OVERSIZED.set(body, oversized);
  return {
    requestId,
    opCode: OP_MSG,
    command: body,
    moreToCome: (flags & MSG_MORE_TO_COME) !== 0,
    exhaustAllowed: (flags & MSG_EXHAUST_ALLOWED) !== 0,
  };
}

function decodeOpQuery(frame: Buffer, requestId: number): Request {
  let offset = HEADER_SIZE + 4; // flags
  const ns = readCString(frame, offset, frame.length);
  offset = ns.next + 8; // numberToSkip, numberToReturn
  if (!ns.value.endsWith('.$cmd')) throw new ProtocolViolation(`legacy OP_QUERY on ${ns.value} is not supported`);
  let { doc } = readDocument(frame, offset, frame.length, true);
  if (doc.$query && typeof doc.$query === 'object') doc = doc.$query as Document;
  const command = { ...doc, $db: ns.value.slice(0, -'.$cmd'.length) };
  return { requestId, opCode: OP_QUERY, command, moreToCome: false, exhaustAllowed: false };
}

let nextRequestId = 1;

function header(length: number, responseTo: number, opCode: number): Buffer {
  const buf = Buffer.allocUnsafe(HEADER_SIZE);
  buf.writeInt32LE(length, 0);
  buf.writeInt32LE(nextRequestId++ & 0x7fffffff, 4);
  buf.writeInt32LE(responseTo, 8);
  buf.writeInt32LE(opCode, 12);
  return buf;
}

/** An OP_MSG reply with one body section; moreToCome marks an exhaust stream. */
export function encodeOpMsg(reply: Document, responseTo: number, moreToCome = false): { frame: Buffer; requestId: number } {
  const body = serializeReply(reply);
  const prefix = Buffer.allocUnsafe(5);
  prefix.writeUInt32LE(moreToCome ? MSG_MORE_TO_COME : 0, 0);
  prefix[4] = 0;
  const head = header(HEADER_SIZE + 5 + body.length, responseTo, OP_MSG);
  return { frame: Buffer.concat([head, prefix, body]), requestId: head.readInt32LE(4) };
}

/** The legacy OP_REPLY that answers an OP_QUERY handshake. */
export function encodeOpReply(reply: Document, responseTo: number): Buffer {
  const body = serializeReply(reply);
  const fields = Buffer.alloc(20);
  fields.writeInt32LE(8, 0); // AwaitCapable
  // cursorID (int64) 0, startingFrom 0
  fields.writeInt32LE(1, 16); // numberReturned
  return Buffer.concat([header(HEADER_SIZE + 20 + body.length, responseTo, OP_REPLY), fields, body]);
}

// A reply may exceed the 16 MB BSON limit by a little (mongod allows 16 KB of headroom for its envelope).
const MAX_REPLY_SIZE = MAX_BSON_OBJECT_SIZE + 16 * 1024;

/** A reply's BSON; one too large to send (or to encode at all) becomes mongod's BSONObjectTooLarge error. */
function serializeReply(reply: Document): Uint8Array {
  let body: Uint8Array | undefined;
  let reason: string;
  try {
    const encoded = serializeDocument(reply);
    body = encoded;
    reason = `BSONObj size: ${encoded.length} (0x${encoded.length.toString(16)}) is invalid. Size must be between 0 and ${MAX_BSON_OBJECT_SIZE}(16MB)`;
  } catch (err) {
    reason = `reply could not be encoded: ${(err as Error).message}`;
  }
  if (body && body.length <= MAX_REPLY_SIZE) return body;
  const error: Document = { ok: 0, errmsg: reason, code: 10334, codeName: 'BSONObjectTooLarge' };
  for (const key of ['$clusterTime', 'operationTime', 'topologyVersion']) if (key in reply) error[key] = reply[key];
  return BSON.serialize(error, { ignoreUndefined: true });
}
