import type { Document } from 'bson';
import { RE2 } from 're2-wasm';
import { CommandError } from '../errors.js';

/**
 * MongoDB regular expressions on RE2 (linear time, re2-wasm: no native build). A pattern RE2 cannot run
 * (backreferences, lookaround) is refused with mongod's error instead of falling back to a backtracking
 * engine; mongod's `x` option (extended: whitespace and `#` comments ignored) is applied before compiling.
 */
export class LinearRegex {
  private constructor(
    readonly pattern: string,
    readonly options: string,
    private readonly re: RE2,
  ) {}

  /** Compiled once per pattern and options (re2-wasm objects live in WASM memory; see the cache below). */
  static compile(pattern: string, options: string, invalid: (reason: string) => CommandError): LinearRegex {
    const key = `${options}/${pattern}`;
    const cached = cache.get(key);
    if (cached) {
      cache.delete(key);
      cache.set(key, cached);
      return cached;
    }
    let flags = 'u';
    for (const flag of options) {
      if (!'imsxu'.includes(flag)) throw new CommandError(51108, ` invalid flag in regex options: ${flag}`, [], { codeName: 'Location51108' });
      if ('ims'.includes(flag) && !flags.includes(flag)) flags += flag;
    }
    const source = options.includes('x') ? stripExtended(pattern) : pattern;
    let re: RE2;
    try {
      re = new RE2(source, flags);
    } catch (err) {
      throw invalid(reasonOf(err));
    }
    const compiled = new LinearRegex(pattern, options, re);
    release.register(compiled, re);
    cache.set(key, compiled);
    if (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
    return compiled;
  }

  test(input: string): boolean {
    this.re.lastIndex = 0;
    return this.re.test(input);
  }

  /** The first match (or all of them), as { index (UTF-16), match, captures }. */
  matches(input: string, all: boolean): { index: number; match: string; captures: (string | undefined)[] }[] {
    if (!all) {
      this.re.lastIndex = 0;
      const m = this.re.exec(input);
      return m ? [{ index: m.index, match: m[0] ?? '', captures: m.slice(1) }] : [];
    }
    this.global ??= this.withFlag('g');
    const found: { index: number; match: string; captures: (string | undefined)[] }[] = [];
    this.global.lastIndex = 0;
    for (;;) {
      const m = this.global.exec(input);
      if (!m) break;
      found.push({ index: m.index, match: m[0] ?? '', captures: m.slice(1) });
      // An empty match moves on by one character (a whole surrogate pair) so the search always advances.
      if ((m[0] ?? '').length === 0) this.global.lastIndex = m.index + (isHighSurrogate(input.charCodeAt(m.index)) ? 2 : 1);
      if (this.global.lastIndex > input.length) break;
    }
    return found;
  }

  private global: RE2 | undefined;

  private withFlag(flag: string): RE2 {
    const re = new RE2(this.re.source, this.re.flags + flag);
    release.register(this, re);
    return re;
  }
}

const CACHE_SIZE = 512;
const cache = new Map<string, LinearRegex>();
// A compiled RE2 is freed from WASM memory when no query holds its LinearRegex any more.
const release = new FinalizationRegistry<RE2>((re) => (re as unknown as { wrapper?: { delete?: () => void } }).wrapper?.delete?.());

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  // re2-wasm says "Invalid regular expression: /<pattern>/<flags>: <reason>"; mongod says only the reason.
  const m = /^Invalid regular expression: \/[\s\S]*\/[a-z]*: ([\s\S]*)$/.exec(message);
  return m ? m[1] : 'the pattern cannot be compiled';
}

/** PCRE's extended mode: unescaped whitespace and `#` comments outside character classes are dropped. */
export function stripExtended(pattern: string): string {
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      out += c + (pattern[i + 1] ?? '');
      i++;
    } else if (inClass) {
      if (c === ']') inClass = false;
      out += c;
    } else if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') out += pattern[++i];
      if (pattern[i + 1] === ']') out += pattern[++i]; // a leading ] is a literal
    } else if (c === '#') {
      while (i + 1 < pattern.length && pattern[i + 1] !== '\n') i++;
    } else if (!/\s/.test(c)) {
      out += c;
    }
  }
  return out;
}

/** The pattern and options of a BSON regex value (a JS RegExp from internal callers too). */
export function regexParts(value: unknown): { pattern: string; options: string } | undefined {
  if (value instanceof RegExp) return { pattern: value.source, options: [...value.flags].filter((f) => 'ims'.includes(f)).join('') };
  if (value && typeof value === 'object' && (value as { _bsontype?: string })._bsontype === 'BSONRegExp') {
    const { pattern, options } = value as { pattern: string; options: string };
    return { pattern, options };
  }
  return undefined;
}

export const isRegexValue = (value: unknown): boolean => regexParts(value) !== undefined;

/** mongod's error for a pattern it cannot compile in a query (`$regex` and regex values). */
export const invalidInQuery = (reason: string) => new CommandError(51091, `Regular expression is invalid: ${reason}`, [], { codeName: 'Location51091' });

export type { Document };
