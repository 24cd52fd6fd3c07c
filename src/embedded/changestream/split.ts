import { BSON, type Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { boxLongs } from '../storage/int64.js';
import { decodeToken, encodeToken } from './token.js';

/** mongod 7.0's largest change event (BSONObjMaxUserSize): a larger one is split, or fails without the stage. */
export const MAX_CHANGE_EVENT_SIZE = 16 * 1024 * 1024;
/** Room a fragment leaves for its own resume token and the cursor reply around it. */
const FRAGMENT_ROOM = 1024;
const STAGE = '$changeStreamSplitLargeEvent';

const location = (code: number, message: string) => new CommandError(code, message, [], { codeName: `Location${code}` });

/**
 * The stages after `$changeStream` without `$changeStreamSplitLargeEvent`, and whether it was there;
 * refused as mongod refuses it (a non-empty spec 7182800, anywhere but last 7182802).
 */
export function withoutSplitStage(stages: Document[]): { stages: Document[]; split: boolean } {
  const at = stages.findIndex((stage) => stage !== null && typeof stage === 'object' && STAGE in stage);
  if (at < 0) return { stages, split: false };
  const spec = stages[at][STAGE];
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec) || Object.keys(spec).length > 0) throw location(7182800, `${STAGE} spec should be an empty object`);
  if (at !== stages.length - 1) throw location(7182802, `${STAGE} must be the last stage in the pipeline`);
  return { stages: stages.slice(0, at), split: true };
}

/** `$changeStreamSplitLargeEvent` outside a change stream: IllegalOperation, as mongod's pipeline check says. */
export function refuseSplitOutsideChangeStream(pipeline: unknown[]): void {
  if (pipeline.some((stage) => stage !== null && typeof stage === 'object' && STAGE in (stage as Document))) {
    throw new CommandError(ErrorCode.IllegalOperation, `${STAGE} can only be used in a $changeStream pipeline`);
  }
}

/**
 * An event over 16 MiB as fragments: its top-level fields packed in order, each fragment with its own
 * resume token (the event's, with the fragment number) and `splitEvent: { fragment, of }`. A smaller
 * event is returned whole.
 */
export function splitLargeEvent(event: Document): Document[] {
  const boxed = boxLongs(event);
  if (BSON.calculateObjectSize(boxed) <= MAX_CHANGE_EVENT_SIZE) return [event];
  const limit = MAX_CHANGE_EVENT_SIZE - FRAGMENT_ROOM;
  const groups: Array<Array<[string, unknown]>> = [];
  let current: Array<[string, unknown]> = [];
  let size = 0;
  for (const key of Object.keys(event)) {
    if (key === '_id') continue;
    const fieldSize = BSON.calculateObjectSize({ [key]: (boxed as Document)[key] }) - 5;
    if (fieldSize > limit) throw new CommandError(10334, `Could not split a change event: its field '${key}' alone is ${fieldSize} bytes, over the ${MAX_CHANGE_EVENT_SIZE}-byte limit`);
    if (current.length > 0 && size + fieldSize > limit) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push([key, event[key]]);
    size += fieldSize;
  }
  if (current.length > 0) groups.push(current);
  const token = decodeToken(event._id);
  return groups.map((fields, i) => ({
    _id: encodeToken({ ...token, split: i }),
    splitEvent: { fragment: i + 1, of: groups.length },
    ...Object.fromEntries(fields),
  }));
}

/** The fatal error of a resume from a fragment whose event this stream does not split the same way. */
export function splitResumeMismatch(): CommandError {
  return new CommandError(ErrorCode.ChangeStreamFatalError, 'Attempted to resume from a split event fragment, but the event in the resumed stream was not large enough to be split', ['NonResumableChangeStreamError']);
}
