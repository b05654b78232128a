import { UfsError, type ErrorContext, type UploadSource, describeContext } from '@org/core';
import { recycledFileChunks } from './file-chunks.js';

export interface CountedBytesOptions {
  /**
   * Read a file source into reused buffers (see `recycledFileChunks`): only for consumers that are done with a chunk
   * when they ask for the next one, i.e. undici's `request` body writer.
   */
  reuseBuffers?: boolean;
}

/**
 * The source's bytes, counted as the transport pulls them (so progress follows what is sent, held back by the
 * socket's backpressure). Fails with INTEGRITY when the file does not have the size it had when the upload
 * started (it changed underneath us), instead of sending a body that contradicts its Content-Length.
 */
export async function* countedBytes(
  source: UploadSource,
  onSent: (loaded: number) => void,
  context: ErrorContext,
  options: CountedBytesOptions = {},
): AsyncGenerator<Uint8Array> {
  let loaded = 0;
  if (options.reuseBuffers && source.path !== undefined) {
    for await (const chunk of recycledFileChunks(source.path, source.size, context)) {
      loaded += chunk.byteLength;
      yield chunk;
      onSent(loaded);
    }
    return;
  }
  const stream = source.open();
  // A source must give a fresh stream on each `open()` (retries and fallbacks read it again): one already read or
  // closed would send nothing, which would look like a file that changed.
  if (stream.readableDidRead || stream.readableEnded || stream.destroyed) {
    stream.destroy();
    throw new UfsError(
      'INVALID_INPUT',
      `${describeContext(context)} the source cannot be re-read for a retry: its open() returned a stream that was already read (open() must return a fresh stream of the whole content on every call)`,
      { context, retryable: false },
    );
  }
  // Each chunk is held back until the next one arrives (or the stream ends with the expected size): the body's
  // last byte goes out only once the size is known to be right, so a service never receives a complete body of a
  // file that changed, which it could store and acknowledge before this iterator's failure aborted the request.
  let held: Buffer | undefined;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      if (loaded + chunk.byteLength > source.size) {
        loaded += chunk.byteLength;
        break;
      }
      if (held) {
        yield held;
        onSent(loaded);
      }
      loaded += chunk.byteLength;
      held = chunk;
    }
  } finally {
    stream.destroy();
  }
  if (loaded !== source.size) {
    throw new UfsError(
      'INTEGRITY',
      `${describeContext(context)} the file changed while uploading: expected ${source.size} bytes, read ${loaded > source.size ? 'more' : loaded}`,
      { context, retryable: false },
    );
  }
  if (held) {
    yield held;
    onSent(loaded);
  }
}
