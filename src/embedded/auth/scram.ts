import { createHash, createHmac, pbkdf2Sync, randomBytes, timingSafeEqual } from 'node:crypto';
import { saslprep } from './saslprep.js';

/** What mongod keeps for a SCRAM-SHA-256 user (admin.system.users credentials): never the password. */
export interface ScramCredentials {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** mongod's defaults: scramSHA256IterationCount 15000, a 28-byte salt. */
export const DEFAULT_ITERATIONS = 15_000;
const SALT_BYTES = 28;

export class ScramError extends Error {}

const hmac = (key: Buffer, text: string) => createHmac('sha256', key).update(text).digest();
const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

/** RFC 5802 section 3: SaltedPassword, then StoredKey and ServerKey. */
export function deriveCredentials(password: string, salt: Buffer = randomBytes(SALT_BYTES), iterations = DEFAULT_ITERATIONS): ScramCredentials {
  const salted = pbkdf2Sync(saslprep(password), salt, iterations, 32, 'sha256');
  return { salt, iterations, storedKey: sha256(hmac(salted, 'Client Key')), serverKey: hmac(salted, 'Server Key') };
}

/** `a=b,c=d` attribute list; the order matters to SCRAM, so it is kept. */
function attributes(message: string): [string, string][] {
  return message.split(',').map((part) => {
    if (!/^[A-Za-z]=/.test(part)) throw new ScramError(`malformed SCRAM attribute "${part.slice(0, 20)}"`);
    return [part[0], part.slice(2)];
  });
}

/** RFC 5802 saslname: `=2C` is a comma, `=3D` an equals sign; any other `=` is invalid. */
function decodeName(name: string): string {
  if (/=(?!2C|3D)/.test(name)) throw new ScramError('invalid escape in SCRAM user name');
  return name.replace(/=2C/g, ',').replace(/=3D/g, '=');
}

/**
 * The server side of one SCRAM-SHA-256 exchange (RFC 5802, RFC 7677), step by step as mongod runs it:
 * `start` takes client-first and returns server-first; `finish` takes client-final, checks the proof and
 * returns server-final. Every failure is a ScramError; callers answer AuthenticationFailed.
 */
export class ScramSha256Server {
  private clientFirstBare = '';
  private serverFirst = '';
  private gs2Header = '';
  private nonce = '';
  private credentials: ScramCredentials | undefined;
  user = '';

  constructor(
    private readonly lookup: (user: string) => ScramCredentials | undefined,
    private readonly serverNonce: string = randomBytes(24).toString('base64'),
  ) {}

  start(clientFirst: string): string {
    const match = /^([ny]|p=[^,]*),(a=[^,]*)?,(.*)$/s.exec(clientFirst);
    if (!match) throw new ScramError('malformed SCRAM client-first message');
    if (match[1].startsWith('p=')) throw new ScramError('SCRAM channel binding is not supported');
    this.gs2Header = `${match[1]},${match[2] ?? ''},`;
    this.clientFirstBare = match[3];
    const attrs = attributes(this.clientFirstBare);
    if (attrs[0]?.[0] === 'm') throw new ScramError('SCRAM mandatory extensions are not supported');
    if (attrs[0]?.[0] !== 'n' || attrs[1]?.[0] !== 'r' || attrs[1][1].length === 0) throw new ScramError('SCRAM client-first message lacks n= or r=');
    this.user = decodeName(attrs[0][1]);
    if (match[2] && decodeName(match[2].slice(2)) !== this.user) throw new ScramError('SCRAM authorization identity differs from the user');
    this.credentials = this.lookup(this.user);
    if (!this.credentials) throw new ScramError(`no such user: ${this.user}`);
    this.nonce = attrs[1][1] + this.serverNonce;
    this.serverFirst = `r=${this.nonce},s=${this.credentials.salt.toString('base64')},i=${this.credentials.iterations}`;
    return this.serverFirst;
  }

  finish(clientFinal: string): string {
    if (!this.credentials) throw new ScramError('SCRAM client-final message before client-first');
    const attrs = attributes(clientFinal);
    const proofAt = attrs.findIndex(([key]) => key === 'p');
    if (attrs[0]?.[0] !== 'c' || attrs[1]?.[0] !== 'r' || proofAt !== attrs.length - 1) throw new ScramError('malformed SCRAM client-final message');
    if (Buffer.from(attrs[0][1], 'base64').toString('latin1') !== this.gs2Header) throw new ScramError('SCRAM channel binding data does not match');
    if (attrs[1][1] !== this.nonce) throw new ScramError('SCRAM nonce mismatch');
    const withoutProof = clientFinal.slice(0, clientFinal.lastIndexOf(',p='));
    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const proof = Buffer.from(attrs[proofAt][1], 'base64');
    const signature = hmac(this.credentials.storedKey, authMessage);
    if (proof.length !== signature.length) throw new ScramError('SCRAM proof has the wrong length');
    const clientKey = Buffer.alloc(proof.length);
    for (let i = 0; i < proof.length; i++) clientKey[i] = proof[i] ^ signature[i];
    if (!timingSafeEqual(sha256(clientKey), this.credentials.storedKey)) throw new ScramError('SCRAM proof is wrong');
    return `v=${hmac(this.credentials.serverKey, authMessage).toString('base64')}`;
  }
}
