import { Readable } from 'node:stream';
import type { UfsError } from '@org/core';
import type { DownloadWatch } from './request-tags.js';

/** The error of an abort of `signal`: a TimeoutError when it was one (AbortSignal.timeout), else an AbortError. */
export function abortError(signal: AbortSignal): Error {
  const error = new Error('aborted');
  error.name =
    (signal.reason as { name?: unknown } | undefined)?.name === 'TimeoutError' ? 'TimeoutError' : 'AbortError';
  return error;
}

export interface GuardedDownloadOptions {
  /** Bytes the download must give (undefined: not known, e.g. a gzip-encoded object served decompressed). */
  expected: number | undefined;
  /** Nothing received for this long while the consumer waits fails the stream (0: no limit). */
  idleMs: number;
  signal?: AbortSignal;
  /** The error of a download cut off (`why`: how far it got). */
  lost(why: string): UfsError;
  /**
   * The download's HTTP responses (`watchDownload`): one that closes before its last byte fails the stream at once
   * with `lost`, instead of waiting for `idleMs` with nothing received.
   */
  watch?: DownloadWatch;
  /** The error of an idle download. */
  timedOut(): UfsError;
  /** An error of the SDK's stream as the consumer gets it. */
  failed(err: unknown): UfsError;
}

/**
 * The GCS SDK's download stream, made to end: when the connection is lost mid-way it may neither end nor fail (or end
 * short). Fewer bytes than `expected`, a 'close' without 'end', an HTTP response (`watch`) that closes before its
 * last byte, or nothing received for `idleMs` while the consumer waits fail the stream (`lost` or `timedOut`); errors
 * of the SDK reach the consumer through `failed`; an abort of `signal` destroys it.
 */
export function guardedDownload(stream: Readable, options: GuardedDownloadOptions): Readable {
  const { expected, idleMs, signal } = options;
  let received = 0;
  let settled = false;
  let timer: NodeJS.Timeout | undefined;
  const stopTimer = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  const out = new Readable({
    read: () => {
      stream.resume();
      armTimer();
    },
    destroy: (err, callback) => {
      settled = true;
      stopTimer();
      options.watch?.stop();
      signal?.removeEventListener('abort', onAbort);
      stream.destroy();
      callback(err);
    },
  });
  const fail = (err: Error) => {
    if (settled) return;
    settled = true;
    options.watch?.stop();
    out.destroy(err);
  };
  options.watch?.listen((response) => {
    let carried = 0;
    const length = Number(response.headers['content-length']);
    response.on('data', (chunk: Buffer) => (carried += chunk.length));
    response.once('close', () => {
      // Node's response knows its length: closed before the last byte, the connection was cut (a plain FIN too).
      if (response.complete) return;
      const of = Number.isSafeInteger(length) ? length : expected;
      fail(options.lost(`after ${carried}${of === undefined ? '' : ` of ${of}`} bytes`));
    });
  });
  function armTimer() {
    if (settled || idleMs === 0) return;
    stopTimer();
    timer = setTimeout(() => fail(options.timedOut()), idleMs);
  }
  const onAbort = () => fail(abortError(signal!));
  signal?.addEventListener('abort', onAbort, { once: true });
  stream.on('data', (chunk: Buffer) => {
    received += chunk.length;
    if (out.push(chunk)) armTimer();
    else {
      // The consumer is not reading: it is not the server that is idle.
      stream.pause();
      stopTimer();
    }
  });
  stream.once('end', () => {
    if (expected !== undefined && received < expected) {
      fail(options.lost(`after ${received} of ${expected} bytes`));
      return;
    }
    settled = true;
    stopTimer();
    options.watch?.stop();
    signal?.removeEventListener('abort', onAbort);
    out.push(null);
  });
  stream.once('error', (err) => fail(options.failed(err)));
  stream.once('close', () => {
    // 'close' after 'end' is normal; before it, with no error, the download was cut off.
    if (!settled) setImmediate(() => fail(options.lost(`after ${received} bytes, before the end of the file`)));
  });
  armTimer();
  return out;
}
