import { MingoError } from 'mingo/util';
import { CommandError } from '../errors.js';

const location = (code: number, message: string) => new CommandError(code, message, [], { codeName: `Location${code}` });

/**
 * A failure inside mingo as the error mongod gives for the same fault: unknown stages (40324), expressions
 * (168 InvalidPipelineOperator) and query operators (BadValue); argument faults are TypeMismatch (14). An
 * error that is not mingo's own (a JavaScript TypeError and the like) never shows its text to the client.
 */
export function mingoError(err: unknown): CommandError {
  if (err instanceof CommandError) return err;
  if (!(err instanceof MingoError)) {
    if (err instanceof RangeError && /call stack/i.test(err.message)) return new CommandError(2, 'expression nested too deeply');
    return new CommandError(14, 'an argument of the query or pipeline has a type the operator does not accept');
  }
  const message = err.message;
  let m = /^unregistered pipeline operator (\S+?)\.?$/.exec(message);
  if (m) return location(40324, `Unrecognized pipeline stage name: '${m[1]}'`);
  m = /^accumulator '([^']+)' is not registered\.?$/.exec(message);
  if (m) return new CommandError(168, `Unrecognized expression '${m[1]}'`);
  m = /^unknown query operator (\S+)$/.exec(message);
  if (m) return new CommandError(2, `unknown operator: ${m[1]}`);
  if (/^unknown top level operator/.test(message)) return new CommandError(2, message);
  if (/group specification must include an '_id'/.test(message)) return location(15955, 'a group specification must include an _id');
  if (/expects|must resolve to|must be|cannot convert|non-numeric|requires/i.test(message)) return new CommandError(14, message);
  return new CommandError(2, message);
}
