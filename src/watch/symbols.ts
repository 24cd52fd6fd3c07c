import { FAMILIAR_SYMBOL_NAMES } from '../load/dataset.js';
import { UserError } from '../util/errors.js';

const SYMBOL = /^[A-Z][A-Z0-9.]{0,15}$/;

/**
 * `--symbols MDB,ORCL` → ['MDB', 'ORCL'] (upper-cased, de-duplicated, order kept); none → the familiar
 * symbols. A malformed symbol is refused here; `requireKnownSymbols` refuses ones the collection lacks.
 */
export function resolveSymbols(text: string | undefined): string[] {
  if (text === undefined) return [...FAMILIAR_SYMBOL_NAMES];
  const symbols = [...new Set(text.split(',').map((s) => s.trim().toUpperCase()).filter((s) => s !== ''))];
  if (symbols.length === 0) throw new UserError('--symbols: expected a comma-separated list of symbols, e.g. MDB,ORCL', 2);
  const bad = symbols.find((s) => !SYMBOL.test(s));
  if (bad !== undefined) throw new UserError(`--symbols: "${bad}" is not a stock symbol (letters and digits, e.g. MDB or A10001)`, 2);
  return symbols;
}

/** Refuses symbols that are not in the collection: a typo would otherwise watch nothing, silently. */
export function requireKnownSymbols(requested: readonly string[], found: Record<string, number>, where: string): void {
  const unknown = requested.filter((s) => !Object.hasOwn(found, s));
  if (unknown.length === 0) return;
  const list = unknown.slice(0, 5).join(', ') + (unknown.length > 5 ? `, … (${unknown.length} in all)` : '');
  throw new UserError(`unknown symbol${unknown.length > 1 ? 's' : ''} ${list}: not in ${where}`);
}
