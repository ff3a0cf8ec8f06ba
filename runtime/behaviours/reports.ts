/**
 * Supervisor reports, as supervisor.erl's ?report_error and report_progress
 * write them (format_log_multi/2's lines): an error for a child that
 * crashed, failed to start or to stop, or for the intensity reached; a
 * progress report (level info, dropped by the default logger) for a start.
 */
import type { Logger } from '../process/index.js';
import { format } from '../term/format.js';
import type { Term } from '../term/values.js';
import { offender, type Child } from './children.js';

/** supervisor's errorContext values. */
export type ErrorContext = 'start_error' | 'child_terminated' | 'shutdown_error' | 'shutdown';

export function reportError(logger: Logger, supervisor: Term, context: ErrorContext, reason: Term, child: Child): void {
  const off = offender(child);
  const message =
    `SUPERVISOR REPORT\n    supervisor: ${format(supervisor)}\n    errorContext: ${context}\n    reason: ${format(reason)}\n    offender: ${format(off)}`;
  log(logger, 'error', message, { label: 'supervisor_report', supervisor: format(supervisor), errorContext: context, reason: format(reason), offender: format(off) });
}

export function reportProgress(logger: Logger, supervisor: Term, child: Child): void {
  const started = format(offender(child));
  log(logger, 'info', `PROGRESS REPORT\n    supervisor: ${format(supervisor)}\n    started: ${started}`, { label: 'progress', supervisor: format(supervisor), started });
}

function log(logger: Logger, level: 'error' | 'info', message: string, report: Record<string, unknown>): void {
  try {
    logger.log(level, message, report);
  } catch {
    // A logger that throws must not take the supervisor down with it.
  }
}
