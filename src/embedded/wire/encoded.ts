import { BSON, type Document } from 'bson';
import { boxLongs } from '../storage/int64.js';

const SERIALIZE = { ignoreUndefined: true } as const;
const EMBEDDED_DOCUMENT = 0x03;
const ARRAY = 0x04;

/**
 * A sub-document already in BSON. A reply field holding one is copied into the reply's bytes as they are,
 * not serialised again: a change event shared by many cursors is encoded once, then only copied.
 */
export class EncodedDocument {
  constructor(readonly bytes: Uint8Array) {}
}

/**
 * BSON of `{ [name]: [...items], ...rest }`, where each item is already a BSON document (a cursor's
 * batch of pre-encoded events followed by its id, ns and resume token).
 */
export function documentWithEncodedArray(name: string, items: readonly Uint8Array[], rest: Document): EncodedDocument {
  const tail = BSON.serialize(boxLongs(rest), SERIALIZE); // int32 size, elements, 0
  let arraySize = 5;
  for (let k = 0; k < items.length; k++) arraySize += 2 + decimalLength(k) + items[k]!.length;
  const nameSize = Buffer.byteLength(name);
  const total = 4 + 1 + nameSize + 1 + arraySize + (tail.length - 5) + 1;
  const out = Buffer.allocUnsafe(total);
  let at = out.writeInt32LE(total, 0);
  out[at++] = ARRAY;
  at += out.write(name, at, 'utf8');
  out[at++] = 0;
  at = out.writeInt32LE(arraySize, at);
  for (let k = 0; k < items.length; k++) {
    out[at++] = EMBEDDED_DOCUMENT;
    at += out.write(String(k), at, 'latin1');
    out[at++] = 0;
    out.set(items[k]!, at);
    at += items[k]!.length;
  }
  out[at++] = 0; // end of the array
  out.set(tail.subarray(4, tail.length - 1), at);
  at += tail.length - 5;
  out[at] = 0;
  return new EncodedDocument(out);
}

/** BSON of a reply; top-level EncodedDocument values are copied, everything else serialised as usual. */
export function serializeDocument(doc: Document): Uint8Array {
  doc = boxLongs(doc);
  let encoded = false;
  for (const key in doc) {
    if (doc[key] instanceof EncodedDocument) {
      encoded = true;
      break;
    }
  }
  if (!encoded) return BSON.serialize(doc, SERIALIZE);
  const parts: Uint8Array[] = [];
  let plain: Document | undefined;
  const flush = (): void => {
    if (!plain) return;
    const bytes = BSON.serialize(plain, SERIALIZE);
    parts.push(bytes.subarray(4, bytes.length - 1));
    plain = undefined;
  };
  for (const key of Object.keys(doc)) {
    const value = doc[key];
    if (value instanceof EncodedDocument) {
      flush();
      parts.push(Buffer.from([EMBEDDED_DOCUMENT]), Buffer.from(`${key}\0`, 'utf8'), value.bytes);
    } else {
      (plain ??= {})[key] = value;
    }
  }
  flush();
  const size = 4 + parts.reduce((a, p) => a + p.length, 0) + 1;
  const out = Buffer.allocUnsafe(size);
  let at = out.writeInt32LE(size, 0);
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  out[at] = 0;
  return out;
}

function decimalLength(n: number): number {
  let digits = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    digits++;
  }
  return digits;
}
