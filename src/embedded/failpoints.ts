import type { Document } from 'bson';
import { badValue } from './errors.js';

export interface FailCommandData {
  failCommands: string[];
  errorCode?: number;
  errorLabels?: string[];
  closeConnection?: boolean;
  blockConnection?: boolean;
  blockTimeMS?: number;
  writeConcernError?: Document;
  appName?: string;
  errmsg?: string;
  /** onPrimaryTransactionalWrite: fail the statement with this code before it commits. */
  failBeforeCommitExceptionCode?: number;
}

interface Armed {
  data: FailCommandData;
  /** Remaining activations; Infinity for alwaysOn. */
  times: number;
  skip: number;
}

/**
 * Fail points other than failCommand, by name. Their data has no `failCommands` list; the code that owns the
 * failure point consumes them with `take(name)` (failGetMoreAfterCursorCheckout: a change-stream getMore;
 * maxTimeAlwaysTimeOut: any command that sets maxTimeMS fails with MaxTimeMSExpired;
 * onPrimaryTransactionalWrite: each statement of a retryable write).
 */
const NAMED_FAIL_POINTS = new Set(['failGetMoreAfterCursorCheckout', 'maxTimeAlwaysTimeOut', 'onPrimaryTransactionalWrite']);

/** MongoDB's test-only fail points; `failCommand` is the one drivers' tests and ticker's tests use. */
export class FailPoints {
  private failCommand: Armed | undefined;
  private readonly named = new Map<string, Armed>();

  configure(cmd: Document): Document {
    const name = cmd.configureFailPoint;
    if (typeof name === 'string' && NAMED_FAIL_POINTS.has(name)) return this.configureNamed(name, cmd);
    if (name !== 'failCommand') throw badValue(`Unknown fail point: ${String(name)}`);
    const mode = cmd.mode;
    if (mode === 'off') {
      this.failCommand = undefined;
      return { count: 0, ok: 1 };
    }
    const data = cmd.data as FailCommandData | undefined;
    if (!data || !Array.isArray(data.failCommands)) throw badValue("failCommand fail point requires 'data.failCommands'");
    if (mode === 'alwaysOn') this.failCommand = { data, times: Infinity, skip: 0 };
    else if (mode && typeof mode === 'object' && typeof mode.times === 'number') this.failCommand = { data, times: mode.times, skip: 0 };
    else if (mode && typeof mode === 'object' && typeof mode.skip === 'number') this.failCommand = { data, times: Infinity, skip: mode.skip };
    else throw badValue(`Unknown fail point mode: ${JSON.stringify(mode)}`);
    return { count: 0, ok: 1 };
  }

  private configureNamed(name: string, cmd: Document): Document {
    const mode = cmd.mode;
    const data = { failCommands: [], ...(cmd.data ?? {}) } as FailCommandData;
    if (mode === 'off') this.named.delete(name);
    else if (mode === 'alwaysOn') this.named.set(name, { data, times: Infinity, skip: 0 });
    else if (mode && typeof mode === 'object' && typeof mode.times === 'number') this.named.set(name, { data, times: mode.times, skip: 0 });
    else if (mode && typeof mode === 'object' && typeof mode.skip === 'number') this.named.set(name, { data, times: Infinity, skip: mode.skip });
    else throw badValue(`Unknown fail point mode: ${JSON.stringify(mode)}`);
    return { count: 0, ok: 1 };
  }

  /** A named fail point's data if it fires now (consuming one activation), else undefined. */
  take(name: string): FailCommandData | undefined {
    const armed = this.named.get(name);
    if (!armed) return undefined;
    if (armed.skip > 0) {
      armed.skip--;
      return undefined;
    }
    if (--armed.times <= 0) this.named.delete(name);
    return armed.data;
  }

  /** The fail point's data if it fires for this command (consuming one activation), else undefined. */
  check(commandName: string, appName: string | undefined): FailCommandData | undefined {
    const armed = this.failCommand;
    if (!armed || !armed.data.failCommands.includes(commandName)) return undefined;
    if (armed.data.appName !== undefined && armed.data.appName !== appName) return undefined;
    if (armed.skip > 0) {
      armed.skip--;
      return undefined;
    }
    if (--armed.times <= 0) this.failCommand = undefined;
    return armed.data;
  }

  clear(): void {
    this.failCommand = undefined;
    this.named.clear();
  }
}
