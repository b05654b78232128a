import { toUfsError, type Layer } from '@org/core';
import { interceptBackend, type BackendOperation } from './intercept.js';

/** What the logging layer writes to; `console` fits, and so do most loggers. */
export interface StorageLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export interface LoggingLayerOptions {
  logger?: StorageLogger;
  /** Level of successful operations; failures are always `warn`. Default `debug`. */
  level?: 'debug' | 'info';
  /** Label in messages, e.g. the mount name. Default: the backend's protocol. */
  label?: string;
}

export interface StorageLogFields extends Record<string, unknown> {
  backend: string;
  operation: BackendOperation;
  key: string;
  to?: string;
  ms: number;
  ok: boolean;
  code?: string;
}

/** Logs every operation with its key, duration and outcome (error code and message on failure). */
export function loggingLayer(options: LoggingLayerOptions = {}): Layer {
  const logger = options.logger ?? console;
  const level = options.level ?? 'debug';
  return (inner) => {
    const label = options.label ?? inner.protocol;
    return interceptBackend(inner, async (call, next) => {
      const started = performance.now();
      const target = call.to === undefined ? `"${call.key}"` : `"${call.key}" -> "${call.to}"`;
      try {
        const result = await next();
        const ms = Math.round(performance.now() - started);
        const fields: StorageLogFields = {
          backend: label,
          operation: call.op,
          key: call.key,
          to: call.to,
          ms,
          ok: true,
        };
        logger[level](`[ufs] [${label}] ${call.op} ${target} ok in ${ms} ms`, fields);
        return result;
      } catch (err) {
        const error = toUfsError(err, { backend: label, operation: call.op, path: call.key });
        const ms = Math.round(performance.now() - started);
        const fields: StorageLogFields = {
          backend: label,
          operation: call.op,
          key: call.key,
          to: call.to,
          ms,
          ok: false,
          code: error.code,
        };
        logger.warn(`[ufs] [${label}] ${call.op} ${target} failed in ${ms} ms: ${error.code} ${error.message}`, fields);
        throw err;
      }
    });
  };
}
