import { Readable, pipeline } from 'node:stream';
import type { Layer } from '@org/core';
import { mapSource } from '../util/replayable.js';
import { countingTransform, tap, type ByteSource } from '../util/streams.js';
import { interceptBackend, type BackendOperation } from './intercept.js';

export interface OperationCounters {
  calls: number;
  errors: number;
}

export interface MetricsSnapshot {
  /** Operations started. */
  ops: number;
  /** Operations that failed (and read streams that failed while being read). */
  errors: number;
  /** Bytes delivered by read streams. */
  bytesRead: number;
  /** Bytes consumed by writes and appends. */
  bytesWritten: number;
  byOperation: Partial<Record<BackendOperation, OperationCounters>>;
}

export interface MetricsLayer extends Layer {
  /** A copy of the counters now. */
  snapshot(): MetricsSnapshot;
  reset(): void;
}

const READER_STOPPED = new Set(['ERR_STREAM_PREMATURE_CLOSE', 'ABORT_ERR']);

function empty(): MetricsSnapshot {
  return { ops: 0, errors: 0, bytesRead: 0, bytesWritten: 0, byOperation: {} };
}

/**
 * Counts operations, errors and bytes read/written through the wrapped backend(s). Counters live in the layer, so
 * one metrics layer can wrap several backends and report their total.
 */
export function metricsLayer(): MetricsLayer {
  let counters = empty();
  const countersOf = (op: BackendOperation): OperationCounters =>
    (counters.byOperation[op] ??= { calls: 0, errors: 0 });
  const layer: Layer = (inner) =>
    interceptBackend(inner, async (call, next) => {
      const op = countersOf(call.op);
      counters.ops++;
      op.calls++;
      const args = [...call.args];
      if (call.op === 'write' || call.op === 'append') {
        args[1] = mapSource(call.args[1] as ByteSource, (pass) => tap(pass, (n) => (counters.bytesWritten += n)));
      }
      try {
        const result = await next(args);
        if (call.op === 'read' && result instanceof Readable) {
          const counted = countingTransform((n) => (counters.bytesRead += n));
          return pipeline(result, counted, (err) => {
            // A reader that stops early (a range, a `break`, an abort) is not an error of the backend.
            if (err && !READER_STOPPED.has(String((err as { code?: unknown }).code))) {
              counters.errors++;
              op.errors++;
            }
          });
        }
        return result;
      } catch (err) {
        counters.errors++;
        op.errors++;
        throw err;
      }
    });
  return Object.assign(layer, {
    snapshot: (): MetricsSnapshot => structuredClone(counters),
    reset: () => {
      counters = empty();
    },
  });
}
