// Where the hub hands every stored log line besides its own store (the vendor's log system over syslog).
import type { InstanceRecord } from '../db/types.ts';
import type { StoredLogLine } from '../db/sql-logs.ts';

export interface LogSource {
  readonly instance: InstanceRecord;
  readonly customer: string;
}

/** Called after the lines are stored; it queues and returns at once (a slow log system never slows an agent). */
export type LogSink = (lines: readonly StoredLogLine[], from: LogSource) => void;
