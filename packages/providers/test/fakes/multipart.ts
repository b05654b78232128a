import type { IncomingMessage } from 'node:http';
import busboy from 'busboy';
import type { FakeService, StoredFile } from './base.js';

export interface ParsedForm {
  fields: Record<string, string>;
  /** File parts stored under the expected field name. */
  file: StoredFile | undefined;
  /** Names of every file field seen (to refuse wrong names). */
  fileFields: string[];
  /** Order of part names as sent. */
  order: string[];
}

/**
 * Parses a multipart/form-data (or urlencoded) request with busboy, streaming the part named `fileField` to the
 * fake's disk store (other file parts are read and dropped). Rejects when the body is not a form.
 */
export function parseForm(fake: FakeService, req: IncomingMessage, fileField: string): Promise<ParsedForm> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fieldSize: 1024 * 1024 } });
    } catch (err) {
      reject(err as Error);
      return;
    }
    const form: ParsedForm = { fields: {}, file: undefined, fileFields: [], order: [] };
    const pending: Promise<void>[] = [];
    parser.on('field', (name, value) => {
      form.fields[name] = value;
      form.order.push(name);
    });
    parser.on('file', (name, stream, info) => {
      form.fileFields.push(name);
      form.order.push(name);
      if (name === fileField && !form.file) {
        pending.push(
          fake.store(stream, info.filename ?? '', info.mimeType).then((file) => {
            form.file = file;
          }),
        );
      } else {
        stream.resume();
      }
    });
    parser.on('error', reject);
    parser.on('close', () => {
      fake.lastFields = form.fields;
      Promise.all(pending).then(() => resolve(form), reject);
    });
    req.pipe(parser);
  });
}
