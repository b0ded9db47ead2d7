import { Logger, type LoggerService } from '@nestjs/common';

/** One line that went through Nest's `Logger`. */
export interface CapturedLine {
  level: string;
  context: string | undefined;
  text: string;
}

/**
 * Sends every level of Nest's `Logger` (debug included) to `lines` until `stop()`, after which
 * logging is off again, as `create-test-app.ts` leaves it.
 */
export function captureLogs(): { lines: CapturedLine[]; stop: () => void } {
  const lines: CapturedLine[] = [];
  const capture =
    (level: string) =>
    (message: unknown, ...rest: unknown[]) => {
      // Nest passes the context last; an error's stack comes before it.
      const context = rest.length > 0 ? String(rest[rest.length - 1]) : undefined;
      lines.push({ level, context, text: [message, ...rest.slice(0, -1)].map(String).join(' ') });
    };
  const logger: LoggerService = {
    log: capture('log'),
    error: capture('error'),
    warn: capture('warn'),
    debug: capture('debug'),
    verbose: capture('verbose'),
    fatal: capture('fatal'),
  };
  Logger.overrideLogger(logger);
  return { lines, stop: () => Logger.overrideLogger(false) };
}
