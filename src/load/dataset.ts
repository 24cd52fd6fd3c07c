/**
 * The data set, as in the original program: `{ _id: <symbol>, price: <int> }` documents in
 * `market.stocksymbols`. Bulk symbols are a letter (A, K, S, Z) and a number; thirteen familiar symbols
 * carry the prices people watch.
 *
 * The bulk key space is ordered (A..., K..., S..., Z..., numbers ascending): index i in [0, count) names
 * one symbol, so loader workers can each take a slice `[from, to)`. Within one data set every number has
 * the same digit count, so string order of `_id` equals index order.
 */

export const DATABASE = 'market';
export const COLLECTION = 'stocksymbols';

export interface StockDoc {
  _id: string;
  price: number;
}

export interface FamiliarSymbol {
  symbol: string;
  company: string;
}

export const FAMILIAR_SYMBOLS: readonly FamiliarSymbol[] = Object.freeze([
  { symbol: 'MDB', company: 'MongoDB Inc.' },
  { symbol: 'MULE', company: 'MuleSoft Inc.' },
  { symbol: 'ORCL', company: 'Oracle Corp.' },
  { symbol: 'IBM', company: 'International Business Machines Corp.' },
  { symbol: 'SAP', company: 'SAP SE' },
  { symbol: 'ADBE', company: 'Adobe Systems Inc.' },
  { symbol: 'AMZN', company: 'Amazon.com Inc.' },
  { symbol: 'MSFT', company: 'Microsoft Corp.' },
  { symbol: 'CSCO', company: 'Cisco Systems Inc.' },
  { symbol: 'VMW', company: 'VMware Inc.' },
  { symbol: 'AAPL', company: 'Apple Inc.' },
  { symbol: 'GOOGL', company: 'Alphabet Inc.' },
  { symbol: 'FB', company: 'Facebook, Inc.' },
]);

export const FAMILIAR_SYMBOL_NAMES: readonly string[] = Object.freeze(FAMILIAR_SYMBOLS.map((f) => f.symbol));

export const BULK_LETTERS = ['A', 'K', 'S', 'Z'] as const;
export type BulkLetter = (typeof BULK_LETTERS)[number];

/** Small: 10000..14999 per letter (replica set). Large: 1000000..2999999 per letter (sharded). */
export const DATASET_SIZES = { small: 20_000, large: 8_000_000 } as const;
export type DatasetName = keyof typeof DATASET_SIZES;

/** Price rules of the original program (inclusive ranges). */
export const PRICE_RULES = {
  bulk: { min: 10, max: 19 },
  familiar: { min: 20, max: 89 },
  /** MDB is the star of the demo: always the highest price. */
  mdb: { min: 90, max: 99 },
} as const;

/** A source of uniform numbers in [0, 1), like Math.random. */
export type Random = () => number;

export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export function bulkPrice(random: Random): number {
  return randomInt(random, PRICE_RULES.bulk.min, PRICE_RULES.bulk.max);
}

export function familiarPrice(symbol: string, random: Random): number {
  const rule = symbol === 'MDB' ? PRICE_RULES.mdb : PRICE_RULES.familiar;
  return randomInt(random, rule.min, rule.max);
}

/** mulberry32: a tiny, fast, seedable generator, so a seeded load is reproducible. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** One letter's share of the bulk key space: numbers `first .. first + count - 1`. */
export interface LetterRange {
  letter: BulkLetter;
  first: number;
  count: number;
  /** Index of this letter's first symbol in the ordered key space. */
  offset: number;
}

export interface BulkLayout {
  count: number;
  letters: readonly LetterRange[];
}

/**
 * How `count` bulk documents spread over the four letters: count/4 each, the remainder going to the
 * first letters. Numbers start at the smallest power of ten (at least 10000) that keeps every number
 * of a letter at the same digit count: 20,000 gives 10000..14999 and 8,000,000 gives 1000000..2999999,
 * exactly the small and large data sets.
 */
export function bulkLayout(count: number): BulkLayout {
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`bulk count must be a whole number >= 0, got ${count}`);
  const base = Math.floor(count / BULK_LETTERS.length);
  const remainder = count % BULK_LETTERS.length;
  const perLetterMax = base + (remainder > 0 ? 1 : 0);
  let first = 10_000;
  while (first * 9 < perLetterMax) first *= 10;

  let offset = 0;
  const letters = BULK_LETTERS.map((letter, i) => {
    const letterCount = base + (i < remainder ? 1 : 0);
    const range = { letter, first, count: letterCount, offset };
    offset += letterCount;
    return range;
  });
  return { count, letters };
}

export function layoutFor(dataset: DatasetName | number): BulkLayout {
  return bulkLayout(typeof dataset === 'number' ? dataset : DATASET_SIZES[dataset]);
}

/** The symbol at `index` of the ordered bulk key space. */
export function bulkSymbolAt(layout: BulkLayout, index: number): string {
  if (!Number.isInteger(index) || index < 0 || index >= layout.count) {
    throw new RangeError(`bulk index ${index} is outside [0, ${layout.count})`);
  }
  for (const range of layout.letters) {
    if (index < range.offset + range.count) return `${range.letter}${range.first + index - range.offset}`;
  }
  throw new RangeError(`bulk index ${index} is outside the layout`); // unreachable: offsets cover [0, count)
}

/** The range of one letter, e.g. to pick a random `A` or `Z` symbol. */
export function letterRange(layout: BulkLayout, letter: BulkLetter): LetterRange {
  const range = layout.letters.find((r) => r.letter === letter);
  if (!range) throw new RangeError(`no letter ${letter} in the layout`);
  return range;
}

/** Bulk documents for the index slice `[from, to)`, prices drawn from `random`. */
export function bulkDocs(layout: BulkLayout, from: number, to: number, random: Random = Math.random): StockDoc[] {
  if (!(from >= 0 && from <= to && to <= layout.count)) {
    throw new RangeError(`bulk slice [${from}, ${to}) is outside [0, ${layout.count})`);
  }
  const docs: StockDoc[] = [];
  for (let i = from; i < to; i++) docs.push({ _id: bulkSymbolAt(layout, i), price: bulkPrice(random) });
  return docs;
}

export function familiarDocs(random: Random = Math.random): StockDoc[] {
  return FAMILIAR_SYMBOLS.map(({ symbol }) => ({ _id: symbol, price: familiarPrice(symbol, random) }));
}

/** Documents a complete load leaves behind: the bulk count plus the thirteen familiar symbols. */
export function expectedDocumentCount(layout: BulkLayout): number {
  return layout.count + FAMILIAR_SYMBOLS.length;
}
