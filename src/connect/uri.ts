/** Connection strings: where to connect, and how to show one without its password. */

export const DEFAULT_URI = 'mongodb://127.0.0.1:27017';

/** The URI to use: the flag, else `MONGODB_URI`, else a local mongod on the default port. */
export function resolveUri(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  const fromFlag = flag?.trim();
  if (fromFlag) return fromFlag;
  const fromEnv = env.MONGODB_URI?.trim();
  if (fromEnv) return fromEnv;
  return DEFAULT_URI;
}

const MASK = '****';
// A connection string runs until whitespace or a character that usually quotes or ends it in prose.
const CONNECTION_STRING = /mongodb(?:\+srv)?:\/\/[^\s"'<>`]+/gi;
// Secrets that can also travel in the query string.
const SECRET_OPTIONS = /((?:AWS_SESSION_TOKEN:|tlsCertificateKeyFilePassword=|sslPEMKeyPassword=))[^,&\s"'<>`]*/gi;

/**
 * Replaces the password of every `mongodb://` / `mongodb+srv://` connection string found anywhere in
 * `text` with `****`, keeping the user name. The credentials end at the LAST `@` of the string, so a
 * password with a raw `@` or `/` (invalid, but typed by people) is still hidden whole: hiding too much is
 * safe, showing a piece of a password is not.
 */
export function redactSecrets(text: string): string {
  return text.replace(CONNECTION_STRING, redactOne);
}

/**
 * `mongodb://user:pass@host/db` → `mongodb://user:****@host/db`. A string that IS a connection string is
 * redacted whole, so a password holding a space or a quote (which end a URI found in prose) is hidden too.
 */
export function redactUri(uri: string): string {
  return /^\s*mongodb(?:\+srv)?:\/\//i.test(uri) ? redactOne(uri) : redactSecrets(uri);
}

function redactOne(uri: string): string {
  const schemeEnd = uri.indexOf('://') + 3;
  const at = uri.lastIndexOf('@');
  let result = uri;
  if (at > schemeEnd) {
    const userInfo = uri.slice(schemeEnd, at);
    const colon = userInfo.indexOf(':');
    if (colon !== -1) result = `${uri.slice(0, schemeEnd)}${userInfo.slice(0, colon)}:${MASK}${uri.slice(at)}`;
  }
  return result.replace(SECRET_OPTIONS, `$1${MASK}`);
}

/**
 * The part of a URI that names where it points, for messages: scheme, user (password hidden) and hosts,
 * without the database and options. `mongodb://u:p@a:1,b:2/db?x=1` → `mongodb://u:****@a:1,b:2`.
 */
export function addressOf(uri: string): string {
  const redacted = redactUri(uri.trim());
  const schemeEnd = redacted.indexOf('://');
  if (schemeEnd === -1) return redacted;
  const hostsStart = Math.max(schemeEnd + 3, redacted.lastIndexOf('@') + 1);
  const rest = redacted.slice(hostsStart);
  const end = rest.search(/[/?]/);
  return redacted.slice(0, hostsStart) + (end === -1 ? rest : rest.slice(0, end));
}

/** The user name in a URI, decoded, if it has one. */
export function userOf(uri: string): string | undefined {
  const match = /^mongodb(?:\+srv)?:\/\/([^:@/]+)[:@]/i.exec(uri.trim());
  if (!match?.[1] || uri.lastIndexOf('@') === -1) return undefined;
  try {
    return decodeURIComponent(match[1]);
  } catch {
    return match[1];
  }
}
