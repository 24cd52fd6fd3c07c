import type { Document } from 'bson';
import { CommandError, ErrorCode } from '../errors.js';
import { parseCollation } from '../storage/collation.js';
import { evaluateConstant, type QueryOptions } from '../storage/query.js';

/**
 * A command's collation (or a write statement's own) and its `let` variables, as every filter, sort and
 * pipeline of the command sees them; undefined when it has neither (the fast paths stay open).
 */
export function queryOptionsOf(cmd: Document, collation: unknown = cmd.collation): QueryOptions | undefined {
  const spec = parseCollation(collation);
  const variables = letOf(cmd);
  if (!spec && !variables) return undefined;
  return { collation: spec, variables };
}

function letOf(cmd: Document): Document | undefined {
  const value = cmd.let;
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new CommandError(ErrorCode.TypeMismatch, `BSON field '${Object.keys(cmd)[0]}.let' is the wrong type '${Array.isArray(value) ? 'array' : typeof value}', expected type 'object'`);
  for (const name of Object.keys(value)) {
    // mongod: user variable names start with a lower-case letter (or non-ASCII) and hold letters, digits, _.
    if (!/^[a-z\u0080-\uffff][\w\u0080-\uffff]*$/.test(name)) throw new CommandError(ErrorCode.FailedToParse, `'${name}' starts with an invalid character for a user variable name`);
  }
  return Object.fromEntries(Object.entries(value as Document).map(([name, expr]) => [name, evaluateConstant(expr)]));
}
