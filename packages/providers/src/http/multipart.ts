import { randomBytes } from 'node:crypto';

export interface MultipartFile {
  field: string;
  filename: string;
  contentType: string;
  size: number;
  bytes: AsyncIterable<Uint8Array>;
}

export interface MultipartBody {
  body: AsyncIterable<Uint8Array>;
  contentLength: number;
  contentType: string;
}

/** Quotes a name for a Content-Disposition parameter the way browsers do (WHATWG form encoding). */
function quote(value: string): string {
  return `"${value.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22')}"`;
}

/**
 * A multipart/form-data body built as a stream: the text fields, then the file part streamed from its source.
 * The exact Content-Length is known up front (fields + headers + file size), so the request needs no chunked
 * encoding and the service sees the size at once.
 */
export function multipartBody(fields: ReadonlyArray<readonly [string, string]>, file: MultipartFile): MultipartBody {
  const boundary = `----ufs${randomBytes(16).toString('hex')}`;
  const head = Buffer.from(
    fields
      .map(
        ([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name=${quote(name)}\r\n\r\n${value}\r\n`,
      )
      .join('') +
      `--${boundary}\r\nContent-Disposition: form-data; name=${quote(file.field)}; filename=${quote(file.filename)}\r\n` +
      `Content-Type: ${file.contentType}\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  async function* body(): AsyncGenerator<Uint8Array> {
    yield head;
    yield* file.bytes;
    yield tail;
  }
  return {
    body: body(),
    contentLength: head.byteLength + file.size + tail.byteLength,
    contentType: `multipart/form-data; boundary=${boundary}`,
  };
}
