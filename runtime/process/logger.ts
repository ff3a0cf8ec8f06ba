/**
 * Where a node's reports go: crash reports of processes that died of an
 * error, for now. A Logger is one function, so any logging library plugs in
 * (`log(level, message, report)` maps onto pino's, winston's or console's
 * levels); the structured `report` is for loggers that keep fields, the
 * `message` is complete on its own for those that print lines.
 */

/** OTP logger's levels that beamwire uses, most severe first. */
export type LogLevel = 'error' | 'warning' | 'notice' | 'info' | 'debug';

export interface Logger {
  log(level: LogLevel, message: string, report?: Readonly<Record<string, unknown>>): void;
}

const HEADERS: Partial<Record<LogLevel, string>> = { error: 'ERROR', warning: 'WARNING', notice: 'NOTICE' };

/**
 * The default: error, warning and notice go to stderr under OTP's legacy
 * header (`=ERROR REPORT==== <time> ===`), as `erl` prints them; info and
 * debug are dropped, as OTP's default primary level (notice) drops them.
 */
export const stderrLogger: Logger = {
  log(level, message) {
    const header = HEADERS[level];
    if (header === undefined) return;
    process.stderr.write(`=${header} REPORT==== ${new Date().toISOString()} ===\n${message}\n`);
  },
};

/** Drops everything. */
export const silentLogger: Logger = { log() {} };
