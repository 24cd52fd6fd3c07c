/**
 * SASLprep (RFC 4013) as SCRAM-SHA-256 requires it for passwords, the parts that matter in practice:
 * non-ASCII spaces map to U+0020, "commonly mapped to nothing" characters are removed, the result is
 * NFKC-normalised, and control characters, private-use code points, surrogates and non-characters are
 * refused. Not implemented: the unassigned-code-point table (RFC 3454 A.1) and the bidirectional check
 * (section 6) — passwords in right-to-left scripts mixed with digits may be accepted where a strict
 * implementation refuses them. ASCII passwords pass through unchanged.
 */
const NON_ASCII_SPACE = /[\u00A0\u1680\u2000-\u200B\u202F\u205F\u3000]/g;
const MAPPED_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200C\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
// RFC 3454 C.2.1, C.2.2 (controls), C.3 (private use), C.4 (non-characters), C.5 (surrogates),
// C.6-C.8 (inappropriate for plain text / canonical representation, change display properties).
const PROHIBITED = /[\u0000-\u001F\u007F-\u009F\u0340\u0341\u06DD\u070F\u180E\u200E\u200F\u202A-\u202E\u2028\u2029\u2060-\u2063\u206A-\u206F\u2FF0-\u2FFB\uD800-\uDFFF\uE000-\uF8FF\uFDD0-\uFDEF\uFFF9-\uFFFF]|[\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}\u{F0000}-\u{FFFFD}\u{100000}-\u{10FFFD}]|[\u{1FFFE}\u{1FFFF}\u{2FFFE}\u{2FFFF}\u{3FFFE}\u{3FFFF}\u{4FFFE}\u{4FFFF}\u{5FFFE}\u{5FFFF}\u{6FFFE}\u{6FFFF}\u{7FFFE}\u{7FFFF}\u{8FFFE}\u{8FFFF}\u{9FFFE}\u{9FFFF}\u{AFFFE}\u{AFFFF}\u{BFFFE}\u{BFFFF}\u{CFFFE}\u{CFFFF}\u{DFFFE}\u{DFFFF}\u{EFFFE}\u{EFFFF}]/u;

export function saslprep(input: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x20-\x7E]*$/.test(input)) return input;
  const mapped = input.replace(NON_ASCII_SPACE, ' ').replace(MAPPED_TO_NOTHING, '').normalize('NFKC');
  if (PROHIBITED.test(mapped)) throw new Error('the password contains a character SASLprep prohibits');
  return mapped;
}
