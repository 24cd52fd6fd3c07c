/** The embedded server's defaults (shared by the replica-set server, the sharded cluster and their CLI). */
export const DEFAULT_OPLOG_ENTRIES = 1_000_000;
export const DEFAULT_PORT = 27017;
export const DEFAULT_REPLICA_SET = 'rs0';
