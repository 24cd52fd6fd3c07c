/** A server-side failure with MongoDB's numeric code, code name and error labels. */
export class CommandError extends Error {
  /** Set when whoever raised it chose its labels (a fail point's errorLabels): they are not recomputed. */
  fixedLabels = false;

  constructor(
    readonly code: number,
    message: string,
    readonly labels: string[] = [],
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }

  get codeName(): string {
    return CODE_NAMES[this.code] ?? 'UnknownError';
  }

  toReply(): Record<string, unknown> {
    const reply: Record<string, unknown> = { ok: 0, errmsg: this.message, code: this.code, codeName: this.codeName, ...this.extra };
    if (this.labels.length > 0) reply.errorLabels = this.labels;
    return reply;
  }
}

/** The codes this server can produce, named as MongoDB names them (src/mongo/base/error_codes.yml). */
export const CODE_NAMES: Record<number, string> = {
  1: 'InternalError',
  2: 'BadValue',
  6: 'HostUnreachable',
  7: 'HostNotFound',
  8: 'UnknownError',
  9: 'FailedToParse',
  11: 'UserNotFound',
  13: 'Unauthorized',
  14: 'TypeMismatch',
  16: 'InvalidLength',
  17: 'ProtocolError',
  18: 'AuthenticationFailed',
  20: 'IllegalOperation',
  22: 'InvalidBSON',
  26: 'NamespaceNotFound',
  27: 'IndexNotFound',
  40: 'ConflictingUpdateOperators',
  43: 'CursorNotFound',
  47: 'NoMatchingDocument',
  48: 'NamespaceExists',
  50: 'MaxTimeMSExpired',
  52: 'DollarPrefixedFieldName',
  56: 'NotExactValueField',
  59: 'CommandNotFound',
  61: 'ShardKeyNotFound',
  66: 'ImmutableField',
  67: 'CannotCreateIndex',
  72: 'InvalidOptions',
  76: 'NoReplicationEnabled',
  79: 'UnknownReplWriteConcern',
  100: 'UnsatisfiableWriteConcern',
  73: 'InvalidNamespace',
  85: 'IndexOptionsConflict',
  86: 'IndexKeySpecsConflict',
  89: 'NetworkTimeout',
  91: 'ShutdownInProgress',
  96: 'OperationFailed',
  112: 'WriteConflict',
  115: 'CommandNotSupported',
  117: 'ConflictingOperationInProgress',
  123: 'NotAReplicaSet',
  133: 'FailedToSatisfyReadPreference',
  136: 'CappedPositionLost',
  121: 'DocumentValidationFailure',
  166: 'CommandNotSupportedOnView',
  167: 'OptionNotSupportedOnView',
  170: 'ViewDepthLimitExceeded',
  320: 'GraphContainsCycle',
  17419: 'Location17419',
  17420: 'Location17420',
  168: 'InvalidPipelineOperator',
  189: 'PrimarySteppedDown',
  197: 'InvalidIndexSpecificationOption',
  262: 'ExceededTimeLimit',
  234: 'RetryChangeStream',
  237: 'CursorKilled',
  225: 'TransactionTooOld',
  239: 'SnapshotTooOld',
  246: 'SnapshotUnavailable',
  251: 'NoSuchTransaction',
  256: 'TransactionCommitted',
  260: 'InvalidResumeToken',
  263: 'OperationNotSupportedInTransaction',
  280: 'ChangeStreamFatalError',
  352: 'UnsupportedOpQueryCommand',
  286: 'ChangeStreamHistoryLost',
  10107: 'NotWritablePrimary',
  10334: 'BSONObjectTooLarge',
  11000: 'DuplicateKey',
  11600: 'InterruptedAtShutdown',
  11601: 'Interrupted',
  11602: 'InterruptedDueToReplStateChange',
  13435: 'NotPrimaryNoSecondaryOk',
  13436: 'NotPrimaryOrSecondary',
  40573: 'Location40573',
  50795: 'Location50795',
};

export const ErrorCode = {
  BadValue: 2,
  FailedToParse: 9,
  Unauthorized: 13,
  TypeMismatch: 14,
  AuthenticationFailed: 18,
  IllegalOperation: 20,
  NamespaceNotFound: 26,
  CursorNotFound: 43,
  NamespaceExists: 48,
  CommandNotFound: 59,
  InvalidOptions: 72,
  InvalidNamespace: 73,
  ImmutableField: 66,
  InvalidResumeToken: 260,
  ChangeStreamFatalError: 280,
  ChangeStreamHistoryLost: 286,
  NoMatchingDocument: 47,
  NotWritablePrimary: 10107,
  NotAReplicaSet: 123,
  WriteConflict: 112,
  ConflictingOperationInProgress: 117,
  TransactionTooOld: 225,
  SnapshotTooOld: 239,
  SnapshotUnavailable: 246,
  NoSuchTransaction: 251,
  TransactionCommitted: 256,
  OperationNotSupportedInTransaction: 263,
  DuplicateKey: 11000,
} as const;

export const badValue = (message: string) => new CommandError(ErrorCode.BadValue, message);
