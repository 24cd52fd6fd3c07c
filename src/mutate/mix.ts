import {
  FAMILIAR_SYMBOL_NAMES, bulkPrice, familiarPrice, letterRange, randomInt,
  type BulkLayout, type BulkLetter, type Random,
} from '../load/dataset.js';

/**
 * The operation mix of the original CHANGE loop, as plain data: per round, update the price of a random
 * familiar symbol, update the price of a random `A` symbol, delete a random `Z` symbol, insert that same
 * `Z` symbol back with a new price. The mutator turns these into driver calls.
 */

export const OP_KINDS = ['familiar', 'a-update', 'z-delete', 'z-insert'] as const;
export type OpKind = (typeof OP_KINDS)[number];

/**
 * Written into every document or update so a listener can compute latency: `seq` numbers the writer's
 * operations, `at` is the INTENDED send time (epoch ms, a double), `w` the writer id. A delete writes
 * no document, so its change event carries no tick.
 */
export interface Tick {
  seq: number;
  at: number;
  w: number;
}

export type MixOp =
  | { kind: 'familiar' | 'a-update'; filter: { _id: string }; update: { $set: { price: number; tick: Tick } } }
  | { kind: 'z-delete'; filter: { _id: string } }
  | { kind: 'z-insert'; doc: { _id: string; price: number; tick: Tick } };

/** How many of each kind one round holds; 0 leaves a kind out. */
export type MixSpec = Readonly<Record<OpKind, number>>;

export const ORIGINAL_MIX: MixSpec = Object.freeze({ familiar: 1, 'a-update': 1, 'z-delete': 1, 'z-insert': 1 });

const MAX_WEIGHT = 1000;
const GRAMMAR = 'expected a comma-separated list of kinds (familiar, a-update, z-delete, z-insert, or "original"), each optionally with :weight, e.g. "familiar:3,a-update"';

/**
 * Parses `--mix`.
 *
 *   mix    := item ("," item)*
 *   item   := kind (":" weight)?        weight: whole number 1..1000, default 1
 *   kind   := familiar | a-update | z-delete | z-insert | original (all four, weight 1)
 *
 * z-delete and z-insert must come together with the same weight: the insert puts back the symbol the
 * delete just removed, so one without the other would empty the Z symbols or collide on `_id`.
 */
export function parseMix(text: string): MixSpec {
  const spec: Record<OpKind, number> = { familiar: 0, 'a-update': 0, 'z-delete': 0, 'z-insert': 0 };
  const seen = new Set<string>();
  const items = text.split(',').map((item) => item.trim());
  if (items.every((item) => item === '')) throw new Error(`empty mix: ${GRAMMAR}`);

  for (const item of items) {
    const match = /^([a-z-]+)(?::(\S+))?$/i.exec(item);
    if (!match) throw new Error(`invalid mix item "${item}": ${GRAMMAR}`);
    const name = match[1]!.toLowerCase();
    const weight = match[2] === undefined ? 1 : Number(match[2]);
    if (!Number.isInteger(weight) || weight < 1 || weight > MAX_WEIGHT) {
      throw new Error(`invalid weight "${match[2]}" in mix item "${item}": expected a whole number from 1 to ${MAX_WEIGHT}`);
    }
    const kinds: readonly OpKind[] = name === 'original' ? OP_KINDS : isKind(name) ? [name] : [];
    if (kinds.length === 0) throw new Error(`unknown operation kind "${match[1]}" in mix: ${GRAMMAR}`);
    if (name === 'original' && match[2] !== undefined) throw new Error('"original" takes no weight: it is the four kinds once each');
    for (const kind of kinds) {
      if (seen.has(kind)) throw new Error(`operation kind "${kind}" appears twice in the mix`);
      seen.add(kind);
      spec[kind] = weight;
    }
  }
  if (spec['z-delete'] !== spec['z-insert']) {
    throw new Error('z-delete and z-insert go together with the same weight: the insert puts back the symbol the delete removed');
  }
  return Object.freeze(spec);
}

/** `familiar:3,a-update` style text for a spec (for reports). */
export function formatMix(spec: MixSpec): string {
  return OP_KINDS.filter((kind) => spec[kind] > 0)
    .map((kind) => (spec[kind] === 1 ? kind : `${kind}:${spec[kind]}`))
    .join(',');
}

function isKind(name: string): name is OpKind {
  return (OP_KINDS as readonly string[]).includes(name);
}

/**
 * The kinds of one round in order: familiar updates, `A` updates, then delete/insert pairs interleaved
 * (each insert right after its delete).
 */
export function roundOf(spec: MixSpec): OpKind[] {
  const round: OpKind[] = [];
  for (let i = 0; i < spec.familiar; i++) round.push('familiar');
  for (let i = 0; i < spec['a-update']; i++) round.push('a-update');
  for (let i = 0; i < spec['z-delete']; i++) round.push('z-delete', 'z-insert');
  if (round.length === 0) throw new Error('the mix has no operations');
  return round;
}

export interface MixGeneratorOptions {
  spec?: MixSpec;
  layout: BulkLayout;
  writerId?: number;
  random?: Random;
  /**
   * Restricts the random bulk symbol choice (e.g. keep a key range cold, or skip a `Z` symbol whose
   * delete/insert pair is still in flight). Must accept at least one symbol of each letter used.
   */
  symbolFilter?: (symbol: string) => boolean;
  /** Symbols never written, familiar or bulk (e.g. those on a cold shard). */
  avoid?: (symbol: string) => boolean;
}

/** Produces operation `seq` of the mix; call it with seq = 0, 1, 2, ... in order. */
export type MixGenerator = (seq: number, intendedAt: number) => MixOp;

export function createMix(options: MixGeneratorOptions): MixGenerator {
  const round = roundOf(options.spec ?? ORIGINAL_MIX);
  const random = options.random ?? Math.random;
  const w = options.writerId ?? 0;
  const { avoid, symbolFilter } = options;
  const bulkFilter = avoid ? (symbol: string) => !avoid(symbol) && (symbolFilter?.(symbol) ?? true) : symbolFilter;
  const pick = (letter: BulkLetter): string => randomBulkSymbol(options.layout, letter, random, bulkFilter);
  const familiar = avoid ? FAMILIAR_SYMBOL_NAMES.filter((symbol) => !avoid(symbol)) : FAMILIAR_SYMBOL_NAMES;
  if (familiar.length === 0 && round.includes('familiar')) throw new Error('every familiar symbol is avoided (on the cold shard): leave familiar out of the mix');
  if (avoid) requireWritableLetters(options.layout, round, avoid);
  let lastDeleted: string | undefined;
  // A familiar update always moves the price: an unchanged price is no `updatedFields.price`, and a
  // listener following price changes (the original filter) would never see that write.
  const lastFamiliarPrice = new Map<string, number>();
  const newFamiliarPrice = (symbol: string): number => {
    let price = familiarPrice(symbol, random);
    while (price === lastFamiliarPrice.get(symbol)) price = familiarPrice(symbol, random);
    lastFamiliarPrice.set(symbol, price);
    return price;
  };

  return (seq, intendedAt) => {
    const kind = round[seq % round.length]!;
    const tick: Tick = { seq, at: intendedAt, w };
    switch (kind) {
      case 'familiar': {
        const symbol = familiar[randomInt(random, 0, familiar.length - 1)]!;
        return { kind, filter: { _id: symbol }, update: { $set: { price: newFamiliarPrice(symbol), tick } } };
      }
      case 'a-update':
        return { kind, filter: { _id: pick('A') }, update: { $set: { price: bulkPrice(random), tick } } };
      case 'z-delete':
        lastDeleted = pick('Z');
        return { kind, filter: { _id: lastDeleted } };
      case 'z-insert': {
        // roundOf puts every insert right after its delete, so lastDeleted is set.
        const symbol = lastDeleted ?? pick('Z');
        lastDeleted = undefined;
        return { kind, doc: { _id: symbol, price: bulkPrice(random), tick } };
      }
    }
  };
}

const KINDS_OF_LETTER: Array<[BulkLetter, OpKind[]]> = [['A', ['a-update']], ['Z', ['z-delete', 'z-insert']]];

/**
 * Refuses a mix that needs a letter whose every symbol is avoided (all on the cold shard): its operations
 * could never be sent, and a run that silently skipped them would not be the mix asked for.
 */
function requireWritableLetters(layout: BulkLayout, round: OpKind[], avoid: (symbol: string) => boolean): void {
  for (const [letter, kinds] of KINDS_OF_LETTER) {
    if (!kinds.some((kind) => round.includes(kind))) continue;
    const range = letterRange(layout, letter);
    let writable = false;
    for (let i = 0; i < range.count && !writable; i++) writable = !avoid(`${letter}${range.first + i}`);
    if (writable) continue;
    const rest = [...new Set(round)].filter((kind) => !kinds.includes(kind));
    throw new Error(`every ${letter} symbol is on the cold shard: leave ${kinds.join(' and ')} out of the mix` +
      (rest.length > 0 ? ` (e.g. --mix ${rest.join(',')})` : ''));
  }
}

/** A uniformly random symbol of `letter` that passes `filter`. */
export function randomBulkSymbol(layout: BulkLayout, letter: BulkLetter, random: Random, filter?: (symbol: string) => boolean): string {
  const range = letterRange(layout, letter);
  if (range.count === 0) throw new Error(`the data set has no ${letter} symbols`);
  const at = (i: number): string => `${letter}${range.first + i}`;
  // Rejection sampling is fast while most symbols pass; fall back to a scan from a random start.
  for (let attempt = 0; attempt < 32; attempt++) {
    const symbol = at(randomInt(random, 0, range.count - 1));
    if (!filter || filter(symbol)) return symbol;
  }
  const start = randomInt(random, 0, range.count - 1);
  for (let i = 0; i < range.count; i++) {
    const symbol = at((start + i) % range.count);
    if (filter!(symbol)) return symbol;
  }
  throw new Error(`no ${letter} symbol passes the symbol filter`);
}
