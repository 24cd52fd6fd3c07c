import { HEADER_SIZE, MAX_MESSAGE_SIZE } from './opcodes.js';

export class ProtocolViolation extends Error {}

/**
 * Splits a TCP byte stream into whole wire-protocol frames by their int32 length prefix.
 * A length outside [16, 48 MB] is a violation raised before any of that frame is buffered.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private buffered = 0;

  constructor(private readonly maxMessageSize = MAX_MESSAGE_SIZE) {}

  /** Feed bytes; returns the frames completed by them (possibly none). */
  push(chunk: Buffer): Buffer[] {
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: Buffer[] = [];
    while (this.buffered >= 4) {
      const length = this.peekLength();
      if (length < HEADER_SIZE || length > this.maxMessageSize) {
        throw new ProtocolViolation(`message length ${length} outside [${HEADER_SIZE}, ${this.maxMessageSize}]`);
      }
      if (this.buffered < length) break;
      frames.push(this.take(length));
    }
    return frames;
  }

  private peekLength(): number {
    if (this.chunks[0].length < 4) this.coalesce();
    return this.chunks[0].readInt32LE(0);
  }

  private coalesce(): void {
    this.chunks = [Buffer.concat(this.chunks, this.buffered)];
  }

  private take(length: number): Buffer {
    if (this.chunks[0].length < length) this.coalesce();
    const head = this.chunks[0];
    const frame = head.subarray(0, length);
    if (head.length === length) this.chunks.shift();
    else this.chunks[0] = head.subarray(length);
    this.buffered -= length;
    return frame;
  }
}
