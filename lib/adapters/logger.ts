/** winston JSON-lines logger; built once in a binary's main.ts and handed down as children. */
import winston from "winston";

export type Logger = winston.Logger;

export function createLogger(component: string, level: string): Logger {
  return winston.createLogger({
    level,
    defaultMeta: { component },
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Console({ stderrLevels: ["error", "warn"] })],
  });
}
