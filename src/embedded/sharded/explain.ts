import type { Document } from 'bson';
import type { CommandContext } from '../commands/context.js';
import { explainCommands, explainReply, type Explained } from '../commands/explain.js';
import { CommandError, ErrorCode } from '../errors.js';
import type { Shard } from './shard.js';

/** One shard's explanation, with the shard it came from. */
export interface ShardExplain {
  shard: Shard;
  connectionString: string;
  reply: Document;
}

/**
 * `explain` through the mongos: each shard that holds the namespace explains its part (the mongod
 * explain over that shard's data); the router reports them as mongos 7.0 does — SINGLE_SHARD for one
 * shard, SHARD_MERGE (SHARD_MERGE_SORT with a sort) for several, and for aggregate `shards` by name.
 */
export async function routerExplain(cmd: Document, ctx: CommandContext, targets: Array<{ shard: Shard; connectionString: string; ctx: CommandContext }>): Promise<Document> {
  const inner = cmd.explain;
  if (inner === null || typeof inner !== 'object') throw new CommandError(ErrorCode.TypeMismatch, "BSON field 'explain.explain' is the wrong type, expected type 'object'");
  const parts: ShardExplain[] = [];
  for (const t of targets) parts.push({ shard: t.shard, connectionString: t.connectionString, reply: await explainCommands.explain(cmd, t.ctx) });
  const command = { ...inner, $db: ctx.db };
  if ('aggregate' in inner) return explainReply(aggregateParts(parts) as Explained, command, ctx);
  const stage = parts.length === 1 ? 'SINGLE_SHARD' : inner.sort || (inner.findAndModify ?? inner.findandmodify) ? 'SHARD_MERGE_SORT' : 'SHARD_MERGE';
  const queryPlanner = {
    mongosPlannerVersion: 1,
    winningPlan: {
      stage,
      shards: parts.map(({ shard, connectionString, reply }) => ({ shardName: shard.name, connectionString, serverInfo: reply.serverInfo, ...reply.queryPlanner })),
    },
  };
  const withStats = parts.every((p) => p.reply.executionStats);
  if (!withStats) return explainReply({ queryPlanner }, command, ctx);
  const sum = (field: string) => parts.reduce((n, p) => n + (p.reply.executionStats[field] ?? 0), 0);
  const millis = Math.max(...parts.map((p) => p.reply.executionStats.executionTimeMillis ?? 0));
  const executionStats = {
    nReturned: sum('nReturned'),
    executionTimeMillis: millis,
    totalKeysExamined: sum('totalKeysExamined'),
    totalDocsExamined: sum('totalDocsExamined'),
    executionStages: {
      stage,
      nReturned: sum('nReturned'),
      executionTimeMillis: millis,
      totalKeysExamined: sum('totalKeysExamined'),
      totalDocsExamined: sum('totalDocsExamined'),
      totalChildMillis: parts.reduce((n, p) => n + (p.reply.executionStats.executionTimeMillis ?? 0), 0),
      shards: parts.map(({ shard, reply }) => ({ shardName: shard.name, ...reply.executionStats })),
    },
  };
  return explainReply({ queryPlanner, executionStats }, command, ctx);
}

function aggregateParts(parts: ShardExplain[]): Document {
  const shards: Document = {};
  for (const { shard, connectionString, reply } of parts) {
    const { explainVersion: _v, command: _c, serverParameters: _p, ok: _ok, ...explained } = reply;
    shards[shard.name] = { host: connectionString, ...explained };
  }
  return { mergeType: parts.length === 1 ? 'primaryShard' : 'mongos', splitPipeline: null, shards };
}
