import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { UfsError, isUfsError } from '@org/core';
import { DEDUP_CONFIG, type DedupConfig } from '../../dedup-options.js';
import { METADATA_STORE, type MetadataStore, type UploadSession } from '../../store/store.js';
import { ContentStore, TUS_PREFIX, integrityError } from '../content-store.js';
import { ContentService } from '../content.service.js';
import { LimitedHasher } from '../limit-hash.js';
import { parseUploadChecksum } from './tus-headers.js';

function notFound(id: string): UfsError {
  return new UfsError('NOT_FOUND', `[ufs] [tus] no upload "${id}" (finished, terminated or expired)`);
}

/**
 * tus 1.0 uploads with their sessions in the metadata store (any replica can serve any request). Each accepted
 * PATCH is one part object; the offset advances by compare-and-set, so of two PATCHes at one offset only one
 * counts. When the last byte arrives the parts are hashed, verified and committed like any upload.
 */
@Injectable()
export class TusSessions {
  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(ContentStore) private readonly content: ContentStore,
    @Inject(ContentService) private readonly uploads: ContentService,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
  ) {}

  async create(sha256: string, length: number, metadata: Record<string, string>): Promise<UploadSession> {
    if (length > this.config.maxUploadBytes) {
      throw new UfsError(
        'TOO_LARGE',
        `[ufs] [tus] Upload-Length ${length} is over the limit of ${this.config.maxUploadBytes} bytes`,
      );
    }
    const now = new Date();
    const session: UploadSession = {
      id: randomBytes(16).toString('hex'),
      sha256,
      length,
      offset: 0,
      parts: [],
      metadata,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.config.uploadExpiryMs).toISOString(),
    };
    await this.store.insertUpload(session);
    if (length === 0) await this.finish(session);
    return session;
  }

  async get(id: string): Promise<UploadSession> {
    const session = /^[0-9a-f]{32}$/.test(id) ? await this.store.getUpload(id) : null;
    if (!session || Date.parse(session.expires_at) < Date.now()) throw notFound(id);
    return session;
  }

  /** Appends one PATCH body at `offset`; returns the new offset. Completes the upload on its last byte. */
  async patch(
    id: string,
    offset: number,
    checksumHeader: unknown,
    body: AsyncIterable<Uint8Array>,
  ): Promise<UploadSession> {
    const session = await this.get(id);
    const checksum = parseUploadChecksum(checksumHeader);
    if (offset !== session.offset) {
      throw new UfsError(
        'ALREADY_EXISTS',
        `[ufs] [tus] Upload-Offset ${offset} does not match the upload's offset ${session.offset}`,
      );
    }
    if (offset === session.length) {
      await this.finish(session);
      return session;
    }
    // The chunk's own SHA-256 is not needed: the whole upload is hashed when it completes.
    const hasher = new LimitedHasher(session.length - offset, {
      extra: checksum ? [checksum.hash] : [],
      sha256: false,
    });
    const key = `${TUS_PREFIX}/${id}/${offset}.${randomUUID()}`;
    try {
      await this.content.write(key, hasher.stream(body));
    } catch (err) {
      await this.content.discard(key);
      throw err;
    }
    if (checksum && checksum.hash.digest('base64') !== checksum.expected) {
      await this.content.discard(key);
      throw new UfsError('INTEGRITY', '[ufs] [tus] Upload-Checksum mismatch: the chunk was not stored', {
        context: { reason: 'checksum-mismatch' },
      });
    }
    if (hasher.bytes === 0) {
      await this.content.discard(key);
      return session;
    }
    const parts = [...session.parts, { start: offset, size: hasher.bytes, key }];
    const advanced = await this.store.advanceUpload(id, offset, offset + hasher.bytes, parts);
    if (!advanced) {
      await this.content.discard(key);
      throw new UfsError(
        'ALREADY_EXISTS',
        `[ufs] [tus] another PATCH at offset ${offset} won; HEAD for the current offset`,
      );
    }
    if (advanced.offset === advanced.length) await this.finish(advanced);
    return advanced;
  }

  /** Hashes the parts in order, verifies against the expected SHA-256 and commits the content. */
  private async finish(session: UploadSession): Promise<void> {
    const hasher = new LimitedHasher(session.length);
    const single = session.parts.length === 1 ? session.parts[0]!.key : undefined;
    const tempKey = single ?? this.content.newTempKey();
    try {
      if (single) await hasher.drain(await this.content.readKey(single), session.length);
      else await this.content.write(tempKey, hasher.stream(this.concat(session), session.length), session.length);
      const actual = hasher.digest();
      if (actual !== session.sha256 || hasher.bytes !== session.length) {
        await this.terminate(session.id);
        throw new UfsError('INTEGRITY', integrityError(session.sha256, actual).message, {
          context: { reason: 'checksum-mismatch' },
        });
      }
      await this.uploads.commit(session.sha256, tempKey, session.length);
    } finally {
      if (!single) await this.content.discard(tempKey);
    }
    // A concurrent finish on another replica may have removed the session already.
    await this.terminate(session.id).catch((err: unknown) => {
      if (!isUfsError(err, 'NOT_FOUND')) throw err;
    });
  }

  private async *concat(session: UploadSession): AsyncGenerator<Uint8Array> {
    for (const part of session.parts) yield* await this.content.readKey(part.key);
  }

  /** Removes the session and every part object (including parts of PATCHes that lost or crashed). */
  async terminate(id: string): Promise<void> {
    const session = await this.store.getUpload(id);
    if (!session) throw notFound(id);
    for (const part of session.parts) await this.content.remove(part.key);
    for await (const entry of this.content.walk(`${TUS_PREFIX}/${id}`)) await this.content.remove(entry.key);
    await this.store.deleteUpload(id);
  }

  async removeExpired(now: Date): Promise<number> {
    let removed = 0;
    for (const session of await this.store.listExpiredUploads(now, 1000)) {
      await this.terminate(session.id).catch(() => undefined);
      removed++;
    }
    return removed;
  }
}
