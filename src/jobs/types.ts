// What every job gets: the database, a logger, its configuration, and (for R7) the engine runner's tick.
import { defaultComplianceWarnDays } from '../core/compliance';
import type { Logger } from '../logging';
import type { EngineRunner } from '../pipeline/engine-runner';
import type { CaseDeadlineEvent } from './case-deadlines';
import type { LeftOnBoardAlert } from './sweep-deadlines';
import { defaultReportOptions, type ReportOptions } from '../reports/build';
import type { Database } from '../store/db';

export interface JobConfig {
  /** Zone of global jobs and district reports. */
  defaultTimeZone: string;
  /** A planned trip not started this many minutes after its planned start is late. */
  lateAfterMin: number;
  /** Planned trips older than this are not flagged any more (stale registry rows). */
  lateLookbackH: number;
  complianceWarnDays: number;
  /** Raw positions older than this many days are deleted. */
  keepRawPositionsDays: number;
  /** Rows per DELETE statement, and at most this many statements per run (the rest waits for the next run). */
  retentionChunkRows: number;
  retentionMaxChunks: number;
  report: ReportOptions;
}

export const defaultJobConfig: JobConfig = {
  defaultTimeZone: 'Asia/Shanghai',
  lateAfterMin: 10,
  lateLookbackH: 12,
  complianceWarnDays: defaultComplianceWarnDays,
  keepRawPositionsDays: 180,
  retentionChunkRows: 5000,
  retentionMaxChunks: 200,
  report: defaultReportOptions,
};

export interface JobDeps {
  database: Database;
  log: Logger;
  /** R7: the engine runner's periodic tick (marks devices offline on active trips). Without it the job does nothing. */
  tick?: (nowMs: number) => unknown | Promise<unknown>;
  /** R9: ends overdue trips in the engine (the sweep job). */
  runner?: EngineRunner;
  /** Pushes a child-left-on-board alert to the school's managers over the live channel. */
  publishAlert?: (alert: LeftOnBoardAlert) => unknown;
  /** Pushes a case's reminder or escalation to the school's violations topic. */
  publishCaseEvent?: (e: CaseDeadlineEvent) => unknown;
  /** Tells the guardians of a trip that it has not started (the lateness job; notices are stored once). */
  onTripLate?: (tripId: number) => unknown;
  config?: Partial<JobConfig>;
}

export function jobConfig(deps: JobDeps): JobConfig {
  return { ...defaultJobConfig, ...deps.config, report: { ...defaultJobConfig.report, ...deps.config?.report } };
}
