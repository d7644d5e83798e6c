/** Structured logs (pino). Put the contract id in context with `logger.child({ contractId })`. */
import pino, { type Logger } from 'pino';

export type { Logger };

export function createLogger(name: string, level: string = 'info'): Logger {
  return pino({
    name,
    level,
    base: null,
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
