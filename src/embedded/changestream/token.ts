import { Timestamp, type Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';

/**
 * Resume tokens are opaque to clients (`{ _data: <hex> }`); this server's layout is
 * version byte 0x82, cluster time (t, i), kind, the index of the event among those one entry produced, and
 * for a fragment of a split event its number.
 */
export enum TokenKind {
  /** A position: every entry up to and including `ts` has been examined. */
  HighWaterMark = 0,
  /** An event produced by the entry at `ts`. */
  Event = 1,
  /** The invalidate produced by the entry at `ts` (startAfter may resume past it; resumeAfter may not). */
  Invalidate = 2,
  /** A position before `ts` (a stream started at an operation time and has seen nothing yet). */
  Before = 3,
}

export interface ResumeToken {
  ts: Timestamp;
  kind: TokenKind;
  fragment: number;
  /** The fragment of an event split by $changeStreamSplitLargeEvent (0-based); absent for a whole event. */
  split?: number;
}

const hex = (n: number, width: number) => n.toString(16).toUpperCase().padStart(width, '0');

export function encodeToken(token: ResumeToken): Document {
  const split = token.split === undefined ? '' : hex(token.split, 4);
  return { _data: `82${hex(token.ts.t, 8)}${hex(token.ts.i, 8)}${hex(token.kind, 2)}${hex(token.fragment, 4)}${split}` };
}

export function decodeToken(value: unknown): ResumeToken {
  const data = value && typeof value === 'object' ? (value as Document)._data : undefined;
  if (typeof data !== 'string' || !/^82[0-9A-Fa-f]{22}(?:[0-9A-Fa-f]{4})?$/.test(data)) {
    throw new CommandError(ErrorCode.InvalidResumeToken, `invalid resume token: ${JSON.stringify(value)}`);
  }
  const t = parseInt(data.slice(2, 10), 16);
  const i = parseInt(data.slice(10, 18), 16);
  const kind = parseInt(data.slice(18, 20), 16) as TokenKind;
  if (!(kind in TokenKind)) throw new CommandError(ErrorCode.InvalidResumeToken, 'invalid resume token kind');
  const token: ResumeToken = { ts: new Timestamp({ t, i }), kind, fragment: parseInt(data.slice(20, 24), 16) };
  if (data.length === 28) token.split = parseInt(data.slice(24, 28), 16);
  return token;
}
