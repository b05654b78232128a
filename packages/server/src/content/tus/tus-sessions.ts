import { randomBytes, randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { UfsError, isUfsError, sleep } from '@org/core';
import { DEDUP_CONFIG, DEDUP_OPTIONS, type DedupConfig, type DedupModuleOptions } from '../../dedup-options.js';
import { leftoverBudget, shutdownTimeout, type ShutdownOptions } from '../../shutdown.js';
import { isServerFault } from '../../http/server-fault.js';
import { MetricsService } from '../../metrics/metrics.service.js';
import { METADATA_STORE, type MetadataStore, type UploadSession } from '../../store/store.js';
import { ContentStore, TUS_PREFIX, integrityError } from '../content-store.js';
import { ContentService } from '../content.service.js';
import { LimitedHasher } from '../limit-hash.js';
import { recordsSize } from '../record-size.js';
import { declaredLength } from '../request-body.js';
import { parseUploadChecksum } from './tus-headers.js';
import { OWNER_METADATA, mayAccess, type TusCaller } from './tus-owner.js';
import { PatchRecordings, RECORDING_LEASE_MS } from './tus-recording.js';

/** How long a finishing request holds an upload; it renews the lease every third of that while it works. */
const FINISH_LEASE_MS = 60_000;
/** How long a PATCH whose part could not be written waits for a termination under way to end (see leaseFree). */
const LEASE_WAIT_MS = 5_000;

function notFound(id: string): UfsError {
  return new UfsError('NOT_FOUND', `[ufs] [tus] no upload "${id}" (terminated, expired or failed verification)`);
}

/**
 * 409: a PATCH's Upload-Offset is not (or no longer) the upload's. The answer carries the upload's offset
 * (`Upload-Offset`, as tus clients expect) and is retryable: the client resumes from that offset (or HEADs first).
 */
function offsetMismatch(current: number, message: string): UfsError {
  return new UfsError('ALREADY_EXISTS', message, { retryable: true, context: { uploadOffset: current } });
}

/**
 * An upload whose every byte arrived but whose stored bytes (part objects) are gone before it was finished (removed
 * from the content mount): said in the client's terms, without the mount's keys. 404 like an unknown upload, so a tus
 * client starts again.
 */
function partsGone(id: string): UfsError {
  return new UfsError(
    'NOT_FOUND',
    `[ufs] [tus] upload "${id}": the bytes stored for this upload are gone; start the upload again`,
  );
}

/**
 * A finished upload: its content is committed and its parts are gone, but its session stays in the store until it
 * expires, so that a client that lost the answer to its last PATCH learns from HEAD (200, Upload-Offset =
 * Upload-Length) that the upload is complete instead of starting over. A session at offset = length that still has
 * parts was not committed (its server stopped while finishing it). An empty upload has no parts ever: it is
 * finished again when asked (nothing to read, and committing held content changes nothing).
 */
export function isCompleted(session: UploadSession): boolean {
  return session.length > 0 && session.offset === session.length && session.parts.length === 0;
}

/**
 * tus 1.0 uploads with their sessions in the metadata store (any replica can serve any request). Each accepted
 * PATCH is one part object (also one cut short by its client: the bytes that arrived count); the offset advances by
 * compare-and-set, so of two PATCHes at one offset only one counts. When the last byte arrives the upload is
 * verified and committed like any upload; one PATCH that carried everything was hashed as it arrived, and its part
 * becomes the content without another read or copy.
 */
@Injectable()
export class TusSessions implements OnModuleDestroy {
  private readonly log = new Logger('ufs.tus');
  /** PATCHes cut off by their clients, recording the bytes they received: HEADs wait for them. */
  private readonly recordings: PatchRecordings;
  /** How long the close waits for the store to release the recording leases (see leftoverBudget). */
  private readonly releaseBudgetMs: number;

  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(ContentStore) private readonly content: ContentStore,
    @Inject(ContentService) private readonly uploads: ContentService,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
    @Inject(MetricsService) private readonly metrics: MetricsService,
    // createDedupApp's options carry its shutdown timeout; a module set up on its own gets the default one.
    @Inject(DEDUP_OPTIONS) options: DedupModuleOptions & ShutdownOptions,
  ) {
    this.recordings = new PatchRecordings(store);
    this.releaseBudgetMs = leftoverBudget(shutdownTimeout(options));
  }

  /**
   * The app closes: its drain is over (shutdown.ts), so a PATCH still recording the bytes of its cut-off body is left
   * to itself. Its recording lease is released now, while the store is open (it closes in a later hook), so that a
   * restarted server does not answer HEADs of that upload 503 until the lease expires. Within the shutdown timeout's
   * budget (leftoverBudget): a store that does not answer a claim or a release by then is left, and said.
   */
  async onModuleDestroy(): Promise<void> {
    const left = await this.recordings.releaseHeld(this.releaseBudgetMs);
    if (left.length > 0)
      this.log.warn(
        `${left.length} tus recording lease(s) not released: the store answered no claim or release within ` +
          `${this.releaseBudgetMs} ms of the close (upload(s) ${left.join(', ')}); a HEAD of those uploads may ` +
          `answer 503 until the lease expires (${RECORDING_LEASE_MS / 1000} s)`,
      );
  }

  /**
   * A new upload of `length` bytes of `sha256`. Refused at once (nothing stored, no session) over maxUploadBytes
   * (413), or when the hash has file records and none of them declares `length` as its file_size (400, naming both
   * sizes: the rule `PUT /files/{sha256}/content` applies when its bytes have arrived, see record-size.ts). The
   * session records its creator's key (tus-owner.ts): only that key uses it.
   */
  async create(
    sha256: string,
    length: number,
    metadata: Record<string, string>,
    creator: TusCaller,
  ): Promise<UploadSession> {
    if (length > this.config.maxUploadBytes) {
      throw new UfsError(
        'TOO_LARGE',
        `[ufs] [tus] Upload-Length ${length} is over the limit of ${this.config.maxUploadBytes} bytes`,
      );
    }
    await recordsSize(this.store, sha256, "the upload's Upload-Length")(length);
    const now = new Date();
    const session: UploadSession = {
      id: randomBytes(16).toString('hex'),
      sha256,
      length,
      offset: 0,
      parts: [],
      metadata: { ...metadata, [OWNER_METADATA]: creator.keyId },
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + this.config.uploadExpiryMs).toISOString(),
    };
    await this.store.insertUpload(session);
    if (length === 0) await this.finish(session);
    return session;
  }

  /**
   * The upload `id`, for `caller` when given: an upload another key created is NOT_FOUND, the answer for one that does
   * not exist (its existence is not revealed), except to an admin key that terminates it (see mayAccess).
   */
  async get(id: string, caller?: TusCaller, action: 'use' | 'terminate' = 'use'): Promise<UploadSession> {
    const session = /^[0-9a-f]{32}$/.test(id) ? await this.store.getUpload(id) : null;
    if (!session || Date.parse(session.expires_at) < Date.now()) throw notFound(id);
    if (caller && !mayAccess(session, caller, action)) throw notFound(id);
    return session;
  }

  /**
   * The upload as HEAD reports it. A finished upload answers offset = length until it expires (isCompleted). One
   * whose every byte arrived but that was not committed (its server stopped during the finish) is finished now, so
   * a client that sees offset = length (tus-js-client then reports success without another request) can trust that
   * the content is held.
   */
  async status(id: string, caller: TusCaller): Promise<UploadSession> {
    await this.get(id, caller);
    // A PATCH cut off a moment ago may still be recording the bytes it received: its offset, not the one before.
    await this.recordings.settled(id);
    const session = await this.get(id);
    if (session.offset === session.length && !isCompleted(session)) await this.finish(session);
    return session;
  }

  /** Appends one PATCH body at `offset`; returns the new offset. Completes the upload on its last byte. */
  async patch(
    id: string,
    caller: TusCaller,
    offset: number,
    checksumHeader: unknown,
    body: AsyncIterable<Uint8Array>,
  ): Promise<UploadSession> {
    const session = await this.get(id, caller);
    const checksum = parseUploadChecksum(checksumHeader);
    if (offset !== session.offset) {
      throw offsetMismatch(
        session.offset,
        `[ufs] [tus] Upload-Offset ${offset} does not match the upload's offset ${session.offset}`,
      );
    }
    // A PATCH that may carry the whole upload is hashed as it arrives, so the upload completes without reading its
    // bytes again; other chunks are only counted (the upload is hashed whole when it completes).
    const declared = declaredLength(body);
    const whole = offset === 0 && (declared === undefined || declared === session.length);
    const remaining = session.length - offset;
    const hasher = new LimitedHasher(remaining, {
      extra: checksum ? [checksum.hash] : [],
      sha256: whole,
      overLimit: (length) =>
        `[ufs] [tus] the PATCH body ${length === undefined ? '' : `(Content-Length ${length}) `}is larger than the ${remaining} bytes the upload lacks (Upload-Length ${session.length}, Upload-Offset ${offset})`,
    });
    // A PATCH that announces more than the upload still lacks is refused before its body is read.
    hasher.admit(body);
    // Nothing left to send: a finished upload answers its offset (a client repeating its last PATCH), one whose
    // commit was cut short is finished now.
    if (offset === session.length) {
      if (!isCompleted(session)) await this.finish(session);
      return session;
    }
    const advanced = await this.recordings.run(id, body, () => this.append(session, offset, checksum, hasher, body));
    if (advanced.offset === advanced.length)
      await this.finish(advanced, whole && advanced.parts.length === 1 ? hasher.digest() : undefined);
    return advanced;
  }

  /**
   * Stores one PATCH body at `offset` as a part and advances the upload to its end (compare-and-set); `session`
   * itself when the body was empty. Does not finish the upload.
   */
  private async append(
    session: UploadSession,
    offset: number,
    checksum: ReturnType<typeof parseUploadChecksum>,
    hasher: LimitedHasher,
    body: AsyncIterable<Uint8Array>,
  ): Promise<UploadSession> {
    const id = session.id;
    const key = `${TUS_PREFIX}/${id}/${offset}.${randomUUID()}`;
    try {
      // A client that leaves mid-PATCH keeps what arrived (tus: resume from the new offset), unless the chunk has a
      // checksum, which a part of it cannot match.
      await this.content.write(key, hasher.stream(body, { keepPartial: !checksum }));
    } catch (err) {
      // The upload was terminated while its body arrived (its folder, this part's unfinished object in it, removed).
      // The termination holds the upload's lease from the removal of the folder (which failed this write) to that of
      // the session: once the lease is free, the session says whether the upload was terminated.
      await this.leaseFree(id);
      if (await this.terminatedMeanwhile(id)) throw notFound(id);
      // A failure of the mount's: the answer does not wait for the cleanup (see discardLater).
      if (isServerFault(err)) this.content.discardLater(key);
      else await this.content.discard(key);
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
      if (await this.terminatedMeanwhile(id)) throw notFound(id);
      await this.content.discard(key);
      const current = await this.get(id);
      throw offsetMismatch(
        current.offset,
        `[ufs] [tus] another PATCH at offset ${offset} won; the upload's offset is ${current.offset} (HEAD, then resume from it)`,
      );
    }
    // Counted once they belong to the upload: a PATCH that failed, lost or was refused stored nothing, and its retry
    // counts the bytes it stores.
    this.metrics.bytesIn.inc(hasher.bytes);
    return advanced;
  }

  /**
   * Verifies the upload against its expected SHA-256 and commits the content: with `digest` (one PATCH carried it
   * all and was hashed on arrival) at once, else by hashing the parts in order (several parts are joined into one
   * temporary object on the way).
   */
  private async finish(session: UploadSession, digest?: string): Promise<void> {
    // The lease is taken after another request finished and removed the upload, or refused while a termination
    // holds it: then its content is held (finished before), or the upload is gone.
    const gone = async (): Promise<void> => {
      if (await this.uploads.isPresent(session.sha256)) return;
      throw notFound(session.id);
    };
    const busy = async (): Promise<void> => {
      if (!(await this.store.getUpload(session.id))) return gone();
      throw new UfsError(
        'UNAVAILABLE',
        `[ufs] [tus] upload "${session.id}" is being finished by another request; retry`,
        { retryAfterMs: 1000, context: { reason: 'busy' } },
      );
    };
    await this.holding(session.id, busy, async () => {
      const current = await this.store.getUpload(session.id);
      if (!current) return gone();
      if (isCompleted(current)) return;
      await this.verifyAndCommit(current, digest);
    });
  }

  /**
   * Runs `work` holding the upload's lease (renewed while it runs), taken by the requests that may finish an upload
   * (its last PATCH, a HEAD after a client timeout, a repeated PATCH, on any replica) and by its termination: of
   * these one works at a time, the others answer what `busy` says (503 with Retry-After, which tus clients retry)
   * instead of hashing the upload again, racing on its parts, or removing the parts a finish is placing as the
   * content. A holder that died leaves a lease that expires, and the next request takes it over.
   */
  private async holding(id: string, busy: () => Promise<void>, work: () => Promise<void>): Promise<void> {
    const name = `tus-finish:${id}`;
    const token = randomUUID();
    const claim = () => this.store.claimLease(name, token, new Date(Date.now() + FINISH_LEASE_MS), new Date());
    if (!(await claim())) return busy();
    const renew = setInterval(() => void claim().catch(() => undefined), FINISH_LEASE_MS / 3);
    renew.unref();
    try {
      await work();
    } finally {
      clearInterval(renew);
      await this.store.releaseLease(name, token).catch(() => undefined);
    }
  }

  private async verifyAndCommit(session: UploadSession, digest?: string): Promise<void> {
    const single = session.parts.length === 1 ? session.parts[0]! : undefined;
    const tempKey = single?.key ?? this.content.newTempKey();
    try {
      let actual = digest;
      let bytes = single?.size ?? 0;
      if (actual === undefined) {
        await this.expectParts(session);
        const hasher = new LimitedHasher(session.length);
        if (single)
          await this.content.hashKey(single.key, hasher, session.length).catch(async (err: unknown) => {
            throw isUfsError(err, 'NOT_FOUND') ? await this.lost(session, single.key) : err;
          });
        else
          await this.content.write(
            tempKey,
            hasher.stream(this.concat(session), { expectedBytes: session.length }),
            session.length,
          );
        actual = hasher.digest();
        bytes = hasher.bytes;
      }
      if (actual !== session.sha256 || bytes !== session.length) {
        await this.remove(session.id);
        throw new UfsError('INTEGRITY', integrityError(session.sha256, actual).message, {
          context: { reason: 'checksum-mismatch' },
        });
      }
      await this.checkRecordSizes(session);
      await this.uploads.commit(session.sha256, tempKey, session.length);
    } finally {
      if (!single) await this.content.discard(tempKey);
    }
    await this.markCompleted(session);
  }

  /**
   * The rule `PUT /files/{sha256}/content` applies when its bytes have arrived (record-size.ts), applied again when
   * the last byte of the upload has: its creation checked Upload-Length against the records of the hash then, and a
   * record may have been added since. A refusal (400 INVALID_INPUT naming both sizes) stores nothing and removes the
   * upload, as a failed verification does: a HEAD afterwards answers 404, and a client that creates the upload again
   * is refused at creation while the records stay as they are.
   */
  private async checkRecordSizes(session: UploadSession): Promise<void> {
    try {
      await recordsSize(this.store, session.sha256)(session.length);
    } catch (err) {
      // A removal that fails leaves the session at offset = length: the next HEAD or PATCH checks (and refuses) again.
      if (isUfsError(err, 'INVALID_INPUT')) await this.remove(session.id).catch(() => undefined);
      throw err;
    }
  }

  /** NOT_FOUND in the client's terms (partsGone), the session removed, when a part object of the upload is missing. */
  private async expectParts(session: UploadSession): Promise<void> {
    for (const part of session.parts)
      if (!(await this.content.statKey(part.key))) throw await this.lost(session, part.key);
  }

  /** Logs which part is missing (for the operator), removes the upload (it cannot be finished) and says so. */
  private async lost(session: UploadSession, key: string): Promise<UfsError> {
    this.log.warn(`tus upload "${session.id}": its part object "${key}" is missing; the upload is removed`);
    await this.remove(session.id).catch(() => undefined);
    return partsGone(session.id);
  }

  /**
   * Keeps the session as the marker of a finished upload (offset = length, no parts: see isCompleted) and removes
   * its part objects. The marker goes when the session expires (removeExpired, run by `gc`); a part object left by a
   * failed removal goes then too (terminate removes everything under the upload's prefix).
   */
  private async markCompleted(session: UploadSession): Promise<void> {
    // Null when the session was terminated meanwhile: then there is nothing to mark.
    await this.store.advanceUpload(session.id, session.length, session.length, []);
    // Best effort: the expiry of the session removes what is left.
    await this.content.removePrefix(`${TUS_PREFIX}/${session.id}`).catch(() => undefined);
  }

  private async *concat(session: UploadSession): AsyncGenerator<Uint8Array> {
    for (const part of session.parts) yield* await this.content.readKey(part.key);
  }

  /**
   * Terminates an upload (DELETE): removes it (see remove) holding its lease, so never while a request finishes it.
   * Then the finish wins: this answers 503 with Retry-After, and the termination retried after the finish removes
   * only the marker of the finished upload (its content stays held). Of a finish that comes while this holds the
   * lease, the termination wins: that request answers 503 (404 once the upload is gone) and stores nothing.
   */
  async terminate(id: string): Promise<void> {
    const busy = async (): Promise<void> => {
      throw new UfsError(
        'UNAVAILABLE',
        `[ufs] [tus] upload "${id}" is being finished (its bytes verified and stored) by another request; ` +
          "retry the termination: it then removes only the finished upload's session, the content stays held",
        { retryAfterMs: 1000, context: { reason: 'busy' } },
      );
    };
    await this.holding(id, busy, () => this.remove(id));
  }

  /**
   * Removes the session and every part object (including parts of PATCHes that lost or crashed) with the upload's
   * folder: nothing is left under `_tus/<id>`. A finished upload's marker goes the same way; its content stays held.
   */
  private async remove(id: string): Promise<void> {
    const session = await this.store.getUpload(id);
    if (!session) throw notFound(id);
    const prefix = `${TUS_PREFIX}/${id}`;
    // Parts first: a removal that fails leaves the session, so the upload can be terminated again (or expire).
    await this.content.removePrefix(prefix);
    await this.store.deleteUpload(id);
    // Once more for the part of a PATCH that was stored, and advanced the upload, while the first removal ran: no
    // session refers to it now. A PATCH still writing after this finds the session gone (terminatedMeanwhile).
    await this.content.removePrefix(prefix).catch(() => undefined);
  }

  /**
   * After a PATCH's part failed to be written or to advance the upload: true when the upload was terminated meanwhile
   * (its session is gone; the PATCH then answers 404). What the PATCH wrote went with the folder, or was written
   * into it afterwards (a write that made the folder again): the upload's folder is removed again, best effort.
   */
  private async terminatedMeanwhile(id: string): Promise<boolean> {
    if (await this.store.getUpload(id).catch(() => true)) return false;
    await this.content.removePrefix(`${TUS_PREFIX}/${id}`).catch(() => undefined);
    return true;
  }

  /**
   * Waits (at most LEASE_WAIT_MS) until no request holds the upload's lease: a termination holds it briefly, a finish
   * for as long as it hashes and commits (then this gives up waiting).
   */
  private async leaseFree(id: string): Promise<void> {
    const name = `tus-finish:${id}`;
    const token = randomUUID();
    const end = Date.now() + LEASE_WAIT_MS;
    while (Date.now() < end) {
      const until = new Date(Date.now() + LEASE_WAIT_MS);
      if (await this.store.claimLease(name, token, until, new Date()).catch(() => true)) break;
      await sleep(25);
    }
    await this.store.releaseLease(name, token).catch(() => undefined);
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
