/**
 * Database and collection names, checked as mongod checks them (NamespaceString), so a bad name is one
 * line before any connection instead of a server error halfway through a run.
 */

/** mongod: a database name is shorter than 64 bytes. */
export const MAX_DB_NAME_BYTES = 63;
/** mongod (4.4+): "<db>.<collection>" is at most 255 bytes. */
export const MAX_NAMESPACE_BYTES = 255;
/** The databases mongod keeps for itself; ticker never drops or loads into them. */
export const RESERVED_DATABASES = ['admin', 'local', 'config'] as const;

// mongod on Linux refuses these in a database name (Windows adds *<>:|?).
const DB_INVALID = /[/\\. "$\0]/;

const bytes = (text: string): number => Buffer.byteLength(text, 'utf8');
const shown = (text: string): string => JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);

/** Throws an Error with one line when mongod would refuse `name` as a database name. */
export function checkDatabaseName(name: string): string {
  if (name === '') throw new Error('a database name cannot be empty');
  const bad = DB_INVALID.exec(name);
  if (bad) throw new Error(`database name ${shown(name)} contains ${describeChar(bad[0])}, which MongoDB does not allow in a database name (/\\. "$ and NUL)`);
  if (bytes(name) > MAX_DB_NAME_BYTES) throw new Error(`database name ${shown(name)} is ${bytes(name)} bytes: MongoDB allows at most ${MAX_DB_NAME_BYTES}`);
  return name;
}

/** Throws an Error with one line when mongod would refuse `name` as a user collection's name. */
export function checkCollectionName(name: string): string {
  if (name === '') throw new Error('a collection name cannot be empty');
  if (name.startsWith('system.')) throw new Error(`collection name ${shown(name)} starts with "system.", which MongoDB reserves for its own collections`);
  if (name.startsWith('.')) throw new Error(`collection name ${shown(name)} starts with ".", which MongoDB does not allow`);
  const bad = /[$\0]/.exec(name);
  if (bad) throw new Error(`collection name ${shown(name)} contains ${describeChar(bad[0])}, which MongoDB does not allow in a collection name`);
  if (bytes(name) > MAX_NAMESPACE_BYTES) throw new Error(`collection name ${shown(name)} is ${bytes(name)} bytes: MongoDB allows at most ${MAX_NAMESPACE_BYTES} for database and collection together`);
  return name;
}

/** The two together: mongod limits "<db>.<collection>" to 255 bytes. */
export function checkNamespace(db: string, coll: string): void {
  const length = bytes(db) + 1 + bytes(coll);
  if (length > MAX_NAMESPACE_BYTES) {
    throw new Error(`namespace ${shown(`${db}.${coll}`)} is ${length} bytes: MongoDB allows at most ${MAX_NAMESPACE_BYTES} for "<db>.<collection>"`);
  }
}

export function isReservedDatabase(name: string): boolean {
  return (RESERVED_DATABASES as readonly string[]).includes(name);
}

function describeChar(c: string): string {
  if (c === '\0') return 'a NUL character';
  if (c === ' ') return 'a space';
  return `"${c}"`;
}
