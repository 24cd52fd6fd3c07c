import type { Document } from 'bson';
import { Aggregator } from 'mingo';
import { CommandError, ErrorCode } from '../errors.js';
import { MINGO_OPTIONS } from '../storage/query.js';
import { sameValue } from '../storage/update.js';

const ALLOWED_STAGES = new Set(['$match', '$project', '$addFields', '$set', '$unset', '$replaceRoot', '$replaceWith', '$redact']);

/** The stages after `$changeStream`, compiled once per stream and applied to one event at a time. */
export function compileEventPipeline(stages: Document[]): (event: Document) => Document | undefined {
  for (const stage of stages) {
    const name = Object.keys(stage)[0];
    if (!ALLOWED_STAGES.has(name)) {
      throw new CommandError(ErrorCode.IllegalOperation, `${name} is not permitted in a $changeStream pipeline`);
    }
  }
  if (stages.length === 0) return (event) => event;
  let aggregator: Aggregator;
  try {
    aggregator = new Aggregator(stages, MINGO_OPTIONS);
  } catch (err) {
    throw new CommandError(ErrorCode.BadValue, (err as Error).message);
  }
  return (event) => {
    const [out] = aggregator.run([event]) as Document[];
    if (out === undefined) return undefined;
    if (!sameValue(out._id, event._id)) {
      throw new CommandError(
        ErrorCode.ChangeStreamFatalError,
        'Encountered an event whose _id field, which contains the resume token, was modified by the pipeline. Modifying the _id field of an event makes it impossible to resume the stream from that point. Only transformations that retain the unmodified _id field are allowed.',
      );
    }
    return out;
  };
}
