import { Binary, type Document } from 'bson';
import type { CommandTable, ConnectionState } from '../commands/context.js';
import { CommandError, ErrorCode } from '../errors.js';
import { DEFAULT_ITERATIONS, deriveCredentials, ScramError, ScramSha256Server, type ScramCredentials } from './scram.js';

export { checkBindSafety, isLoopback } from './bind.js';

export interface AuthCredentials {
  user: string;
  password: string;
}

export const MECHANISM = 'SCRAM-SHA-256';
/** The one user lives in `admin`, as `--auth user:password` on mongod's side means a root user there. */
const USER_DB = 'admin';
/** What mongod answers before authentication (commands whose requiresAuth() is false). */
const OPEN_COMMANDS = new Set(['hello', 'isMaster', 'ismaster', 'saslStart', 'saslContinue', 'authenticate', 'logout', 'ping', 'buildInfo', 'buildinfo']);
const CONVERSATION_ID = 1;

interface Conversation {
  scram: ScramSha256Server;
  /** Server-final sent; the exchange ends with the client's empty message (unless skipEmptyExchange). */
  verified: boolean;
  /** saslStart's `options.skipEmptyExchange`: finish on server-final, without the empty round trip. */
  skipEmptyExchange: boolean;
}

const authFailed = () => new CommandError(ErrorCode.AuthenticationFailed, 'Authentication failed.');

/** `user:password` as given to `--auth` (the password may itself contain colons). */
export function parseAuthSpec(spec: string): AuthCredentials {
  const colon = spec.indexOf(':');
  if (colon <= 0 || colon === spec.length - 1) throw new Error('--auth expects user:password, both non-empty');
  return { user: spec.slice(0, colon), password: spec.slice(colon + 1) };
}

/**
 * Authentication as mongod does it with one SCRAM-SHA-256 user in `admin`: saslStart/saslContinue, the
 * handshake's speculativeAuthenticate and saslSupportedMechs, and the Unauthorized check for every other
 * command. Without credentials nobody needs to authenticate (and nobody can, as on a mongod without users).
 */
export class Authenticator {
  private readonly credentials: ScramCredentials | undefined;
  private readonly user: string | undefined;

  constructor(auth?: AuthCredentials, iterations = DEFAULT_ITERATIONS) {
    if (auth) {
      if (!auth.user || !auth.password) throw new Error('authentication needs a non-empty user and password');
      this.user = auth.user;
      this.credentials = deriveCredentials(auth.password, undefined, iterations);
    }
  }

  get required(): boolean {
    return this.credentials !== undefined;
  }

  /** Unauthorized (13) when this connection must authenticate before running `name`. */
  check(name: string, conn: ConnectionState): void {
    if (!this.required || conn.user !== undefined || OPEN_COMMANDS.has(name)) return;
    throw new CommandError(ErrorCode.Unauthorized, `Command ${name} requires authentication`);
  }

  /** Fields a hello reply gains: saslSupportedMechs (mechanism negotiation) and the speculative first step. */
  helloFields(cmd: Document, conn: ConnectionState): Document {
    const fields: Document = {};
    if (typeof cmd.saslSupportedMechs === 'string' && this.lookup(cmd.saslSupportedMechs)) fields.saslSupportedMechs = [MECHANISM];
    const speculative = cmd.speculativeAuthenticate;
    if (speculative && typeof speculative === 'object' && speculative.saslStart !== undefined) {
      // mongod leaves the field out when the speculative attempt fails; the driver then authenticates normally.
      try {
        const { ok: _ok, ...reply } = this.saslStart(speculative, typeof speculative.db === 'string' ? speculative.db : USER_DB, conn);
        fields.speculativeAuthenticate = reply;
      } catch {
        conn.sasl = undefined;
      }
    }
    return fields;
  }

  readonly commands: CommandTable = {
    saslStart: (cmd, ctx) => this.saslStart(cmd, ctx.db, ctx.conn),
    saslContinue: (cmd, ctx) => this.saslContinue(cmd, ctx.conn),
    authenticate: (cmd) => {
      throw new CommandError(334, `Unsupported mechanism ${String(cmd.mechanism)}`, [], { codeName: 'MechanismUnavailable' });
    },
    logout: (_cmd, ctx) => {
      ctx.conn.user = undefined;
      return { ok: 1 };
    },
  };

  private lookup(qualified: string): ScramCredentials | undefined {
    return qualified === `${USER_DB}.${this.user}` ? this.credentials : undefined;
  }

  private saslStart(cmd: Document, db: string, conn: ConnectionState): Document {
    conn.sasl = undefined;
    if (cmd.mechanism !== MECHANISM) {
      throw new CommandError(334, `Received authentication for mechanism ${String(cmd.mechanism)} which is unknown or not enabled`, [], { codeName: 'MechanismUnavailable' });
    }
    const scram = new ScramSha256Server((user) => this.lookup(`${db}.${user}`));
    let serverFirst: string;
    try {
      serverFirst = scram.start(payloadText(cmd.payload));
    } catch (err) {
      if (err instanceof ScramError) throw authFailed();
      throw err;
    }
    conn.sasl = { scram, verified: false, skipEmptyExchange: cmd.options?.skipEmptyExchange === true } satisfies Conversation;
    return { conversationId: CONVERSATION_ID, done: false, payload: new Binary(Buffer.from(serverFirst)), ok: 1 };
  }

  private saslContinue(cmd: Document, conn: ConnectionState): Document {
    const conversation = conn.sasl as Conversation | undefined;
    if (!conversation || Number(cmd.conversationId) !== CONVERSATION_ID) {
      conn.sasl = undefined;
      throw new CommandError(17, 'No SASL session state found', [], { codeName: 'ProtocolError' });
    }
    try {
      if (conversation.verified) {
        // The client's empty last message: the exchange is complete.
        conn.sasl = undefined;
        conn.user = conversation.scram.user;
        return { conversationId: CONVERSATION_ID, done: true, payload: new Binary(Buffer.alloc(0)), ok: 1 };
      }
      const serverFinal = conversation.scram.finish(payloadText(cmd.payload));
      conversation.verified = true;
      const done = conversation.skipEmptyExchange;
      if (done) {
        conn.sasl = undefined;
        conn.user = conversation.scram.user;
      }
      return { conversationId: CONVERSATION_ID, done, payload: new Binary(Buffer.from(serverFinal)), ok: 1 };
    } catch (err) {
      conn.sasl = undefined;
      if (err instanceof ScramError) throw authFailed();
      throw err;
    }
  }
}

function payloadText(payload: unknown): string {
  if (payload instanceof Binary) return Buffer.from(payload.buffer).toString('utf8');
  if (typeof payload === 'string') return Buffer.from(payload, 'base64').toString('utf8');
  throw new CommandError(ErrorCode.BadValue, 'SASL payload must be BinData');
}
