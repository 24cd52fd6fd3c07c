import { UserError } from '../util/errors.js';
import { commandHint } from '../util/invocation.js';
import { redactSecrets } from './uri.js';

/**
 * Turns a driver failure into one line a person can act on, naming `address` (already redacted).
 * Returns undefined for errors that are not about reaching or logging in to a server.
 */
export function connectionErrorMessage(error: unknown, address = 'the server', user?: string): string | undefined {
  const facts = collectFacts(error);
  const detail = oneLine(facts.messages[0] ?? 'unknown error');
  const has = (pattern: RegExp): boolean => facts.codes.some((c) => pattern.test(c)) || facts.messages.some((m) => pattern.test(m));

  if (facts.names.includes('MongoParseError') || facts.names.includes('MongoInvalidArgumentError') || has(/^ERR_INVALID_URL$/)) {
    return `invalid connection string ${address}: ${detail}`;
  }
  if (has(/^18$|AuthenticationFailed|Authentication failed/i)) {
    const who = user ? ` for user "${user}"` : '';
    return `authentication failed${who} on ${address}: check the user name, password and authSource`;
  }
  if (has(/ENOTFOUND|EAI_AGAIN|querySrv|queryTxt/)) {
    return `cannot resolve the host of ${address}: unknown host (${detail})`;
  }
  if (has(/ECONNREFUSED/)) {
    // Nothing at the default address is a newcomer without a server: the embedded one is a command away.
    if (isDefaultAddress(address)) return `connection refused by ${address}: no server is running there; start one with ${commandHint('server')} in another terminal, or give --uri`;
    return `connection refused by ${address}: is the server running and listening on that port?`;
  }
  if (has(/secureConnect' timed out/)) {
    return `no TLS handshake from ${address} in time: does the server have TLS enabled? If not, remove tls=true from the URI`;
  }
  if (has(/\bTLS\b|\bSSL\b|certificate|EPROTO|self[- ]signed|handshake/i)) {
    return `TLS handshake with ${address} failed: ${detail}`;
  }
  if (has(/ECONNRESET|connection .*closed|socket hang up/i)) {
    return `${address} closed the connection during the handshake: does it require TLS (add tls=true to the URI)?`;
  }
  if (facts.notInSet !== undefined) {
    return `no member of replica set "${facts.notInSet}" at ${address}: the server is a mongos, a standalone or in another set; fix or remove replicaSet= in the URI`;
  }
  if (facts.names.includes('MongoServerSelectionError') || has(/ETIMEDOUT|timed out/i)) {
    return `no usable server at ${address} in time (${detail}): check host, port, replicaSet name and firewall`;
  }
  if (facts.names.some((n) => /^MongoNetwork/.test(n))) {
    return `lost the connection to ${address}: ${detail}`;
  }
  return undefined;
}

/** `mongodb://127.0.0.1:27017` (the default, where `ticker server` listens), or localhost on that port. */
function isDefaultAddress(address: string): boolean {
  return /^(mongodb:\/\/)?(127\.0\.0\.1|localhost|\[::1\])(:27017)?\/?(\?.*)?$/i.test(address.trim());
}

/** A UserError for a connection failure, or undefined when `error` is something else. */
export function toConnectionUserError(error: unknown, address?: string, user?: string): UserError | undefined {
  const message = connectionErrorMessage(error, address, user);
  return message === undefined ? undefined : new UserError(message);
}

/** Newlines and tabs folded, secrets hidden: fit for a one-line message. */
export function oneLine(text: string): string {
  return redactSecrets(text).replace(/\s*[\r\n\t]+\s*/g, ' ').trim();
}

interface Facts {
  names: string[];
  codes: string[];
  messages: string[];
  /** The replicaSet= name, when the driver dropped every server for not being a member of that set. */
  notInSet?: string;
}

/** Walks cause chains and a server-selection error's per-server errors: the root cause hides in there. */
function collectFacts(error: unknown, facts: Facts = { names: [], codes: [], messages: [] }, depth = 0): Facts {
  if (depth > 6 || error === null || typeof error !== 'object') return facts;
  const e = error as {
    name?: unknown; code?: unknown; codeName?: unknown; message?: unknown; cause?: unknown; errno?: unknown;
    reason?: { servers?: Map<string, { error?: unknown }>; type?: unknown; setName?: unknown };
  };
  if (typeof e.name === 'string') facts.names.push(e.name);
  for (const code of [e.code, e.codeName, e.errno]) if (code !== undefined) facts.codes.push(String(code));
  if (typeof e.message === 'string' && e.message) facts.messages.push(e.message);
  collectFacts(e.cause, facts, depth + 1);
  const servers = e.reason?.servers;
  if (servers instanceof Map) for (const server of servers.values()) collectFacts(server.error, facts, depth + 1);
  // Seeds that answered as a mongos, a standalone or a member of another set are removed from the topology.
  if (servers instanceof Map && servers.size === 0 && e.reason?.type === 'ReplicaSetNoPrimary' && typeof e.reason.setName === 'string') {
    facts.notInSet = e.reason.setName;
  }
  return facts;
}
