import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  capabilities,
  describeContext,
  UfsError,
  type EntryStat,
  type ListPage,
  type ReadOptions,
  type StorageBackend,
  type WriteResult,
} from '@org/core';
import { z } from 'zod';
import { defineBackend } from '../../backend-definition.js';
import { keyContext } from '../../errors.js';
import { decodeRange, explainInvalidKey, parseContentKey, type ContentKey } from './codec.js';
import { folderEntry } from '../../util/entries.js';

export { dataUri, encodeKey, EMPTY_CONTENT_KEY, fromDataUri, keyFromDataUri, KEY_CHUNK_LENGTH } from './codec.js';

const PROTOCOL = 'base64';
/** Bytes decoded per chunk of a read stream. */
const CHUNK_BYTES = 48 * 1024;

const optionsSchema = z
  .object({
    /** Content type reported by `stat()` (a content key carries none). */
    contentType: z.string().min(1, 'contentType must not be empty').default('application/octet-stream'),
  })
  .strict();

export type Base64Options = z.output<typeof optionsSchema>;

/**
 * The key is the content (base64url, see codec.ts). Read-only by nature: there is nothing stored to write to or
 * delete, and no namespace to list. Reads decode lazily, chunk by chunk, and ranges decode only what they cover.
 */
export function createBase64Backend(options: Base64Options, mountName = PROTOCOL): StorageBackend {
  const ctx = (operation: string, key: string) => keyContext({ mount: mountName, protocol: PROTOCOL }, operation, key);

  function contentOf(key: string, operation: string): ContentKey {
    if (key === '') {
      throw new UfsError(
        'INVALID_INPUT',
        `${describeContext(ctx(operation, key))} the mount root is not a content key`,
        {
          context: ctx(operation, key),
        },
      );
    }
    const parsed = parseContentKey(key);
    if (!parsed) {
      throw new UfsError('NOT_FOUND', `${describeContext(ctx(operation, key))} ${explainInvalidKey(key)}`, {
        context: ctx(operation, key),
      });
    }
    return parsed;
  }

  function refuse(operation: string, path: string, why: string): never {
    throw new UfsError('UNSUPPORTED', `${describeContext(ctx(operation, path))} ${why}`, {
      context: ctx(operation, path),
    });
  }

  const readOnly = 'base64 mounts are read-only: the key is the content (use encodeKey(bytes) to get a key)';

  return {
    protocol: PROTOCOL,
    // The path is the content: nothing is written, so no modification time can be kept (setModified false).
    capabilities: capabilities({ read: true, range: true, setModified: false }),

    async stat(key): Promise<EntryStat | null> {
      if (key === '') return folderEntry(key);
      const parsed = parseContentKey(key);
      if (!parsed) return null;
      return {
        key,
        isFile: true,
        isDir: false,
        size: parsed.size,
        contentType: options.contentType,
        // The content never changes for a key: a digest of the key is a stable validator.
        etag: `"${createHash('sha1').update(parsed.data).digest('hex')}"`,
      };
    },

    async read(key, readOptions: ReadOptions = {}): Promise<Readable> {
      const parsed = contentOf(key, 'read');
      if (readOptions.versionId !== undefined) refuse('read', key, 'base64 contents have no versions');
      if (readOptions.signal?.aborted) {
        throw new UfsError('ABORTED', `${describeContext(ctx('read', key))} aborted`, { context: ctx('read', key) });
      }
      const { start = 0, end } = readOptions;
      if (!Number.isInteger(start) || start < 0 || (end !== undefined && (!Number.isInteger(end) || end < start))) {
        throw new UfsError(
          'INVALID_INPUT',
          `${describeContext(ctx('read', key))} invalid range ${start}-${end ?? ''}`,
          {
            context: ctx('read', key),
          },
        );
      }
      const stop = Math.min(parsed.size, end === undefined ? parsed.size : end + 1);
      let position = Math.min(start, stop);
      const stream = new Readable({
        read() {
          if (position >= stop) return void this.push(null);
          const next = Math.min(stop, position + CHUNK_BYTES);
          const bytes = decodeRange(parsed, position, next);
          position = next;
          this.push(bytes);
        },
      });
      const { signal } = readOptions;
      if (signal) {
        const onAbort = () =>
          stream.destroy(
            new UfsError('ABORTED', `${describeContext(ctx('read', key))} aborted`, { context: ctx('read', key) }),
          );
        signal.addEventListener('abort', onAbort, { once: true });
        stream.once('close', () => signal.removeEventListener('abort', onAbort));
      }
      return stream;
    },

    async write(key): Promise<WriteResult> {
      refuse('write', key, readOnly);
    },

    async list(key): Promise<ListPage> {
      refuse('list', key, 'base64 mounts have no listing: every base64url string is a key');
    },

    async delete(key): Promise<void> {
      refuse('delete', key, readOnly);
    },

    async mkdir(key): Promise<void> {
      refuse('mkdir', key, readOnly);
    },
  };
}

export default defineBackend({
  protocol: PROTOCOL,
  description: 'inline content: the key is the base64url of the bytes (read-only; alias "data")',
  options: optionsSchema,
  create: (options, context) => createBase64Backend(options, context.mountName),
  fromUrl: () => ({}),
});
