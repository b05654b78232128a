import { UfsError, toUfsError, type FileMetadataInput } from '@org/core';
import { refusedRecord, type DedupClient } from '../api/dedup-client.js';

/**
 * Most records of one batch the server may refuse one by one (each refusal costs a request with the rest of the
 * batch): past that, the rest of the batch fails with the last refusal instead of being sent again.
 */
export const MAX_REFUSALS_PER_BATCH = 16;

/** What putRecords did with a batch: the parts the server took (and the hashes it wants), and what failed. */
export interface PutOutcome<T> {
  answered: Array<{ items: T[]; uploadRequired: Set<string> }>;
  /** Records that fail alone, each with its own error (naming its path). */
  refused: Array<{ item: T; error: UfsError }>;
  /** Records not catalogued because of an error about the request, not one record (server down, 500, a bad key). */
  failed?: { items: T[]; error: UfsError };
  /** Records per request that a server refused as too large (413) and that were sent in halves. */
  tooLarge?: number;
}

/** A record of one file that cannot be catalogued, as that file's failure. */
export function recordError(path: string, reason: string, cause?: unknown): UfsError {
  return new UfsError('INVALID_INPUT', `[ufs] [server] put_files "${path}": the server refused the record: ${reason}`, {
    retryable: false,
    context: { backend: 'server', operation: 'put_files', path },
    ...(cause ? { cause } : {}),
  });
}

/** A record the server would refuse (the shared schema says why): it is not sent, and fails as that file's failure. */
export function invalidRecord(path: string, reason: string): UfsError {
  return new UfsError('INVALID_INPUT', `[ufs] scan "${path}": the record cannot be sent: ${reason}`, {
    retryable: false,
    context: { operation: 'put_files', path },
  });
}

/** A record of a batch that failed as a whole (a 500, a server that went away): that file's failure, by its path. */
export function notCatalogued(path: string, error: UfsError): UfsError {
  return new UfsError(
    error.code,
    `[ufs] [server] put_files "${path}": not catalogued: ${error.message.replace(/^\[ufs\] /, '')}`,
    {
      retryable: error.retryable,
      cause: error,
      context: { ...error.context, path },
    },
  );
}

/**
 * Sends a batch of records (POST /put_files) so that neither one bad record nor the batch's size fails the others:
 * - a 413 (the server takes fewer records at once, or a smaller body) sends the batch again in halves, down to one
 *   record (a single record refused with 413 fails alone);
 * - a refusal naming one record (400/422 `files[i]`) fails that record alone, with the server's reason, and sends
 *   the others again, at most MAX_REFUSALS_PER_BATCH times per batch.
 * Every request has fewer records than the one before it failed with, so this ends. Any other error fails what was
 * not sent yet (`failed`); what the server took before stays in `answered`.
 */
export async function putRecords<T extends { path: string; meta: FileMetadataInput }>(
  client: DedupClient,
  items: T[],
): Promise<PutOutcome<T>> {
  const out: PutOutcome<T> = { answered: [], refused: [] };
  const queue: T[][] = [items];
  let refusals = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    try {
      const answer = await client.putFiles(part.map((i) => i.meta));
      out.answered.push({ items: part, uploadRequired: new Set(answer.upload_required) });
      continue;
    } catch (err) {
      const error = toUfsError(err, { backend: 'server', operation: 'put_files' });
      if (error.context.status === 413) {
        if (part.length > 1) {
          const half = Math.ceil(part.length / 2);
          out.tooLarge = Math.min(out.tooLarge ?? Number.POSITIVE_INFINITY, part.length);
          queue.unshift(part.slice(0, half), part.slice(half));
        } else {
          out.refused.push({ item: part[0]!, error: tooLargeRecord(part[0]!.path, error) });
        }
        continue;
      }
      const refused = refusedRecord(error);
      const bad = refused ? part[refused.index] : undefined;
      if (!refused || !bad) {
        out.failed = { items: [part, ...queue].flat(), error };
        break;
      }
      out.refused.push({ item: bad, error: recordError(bad.path, refused.reason, error) });
      const rest = part.filter((_, i) => i !== refused.index);
      if (++refusals < MAX_REFUSALS_PER_BATCH) {
        if (rest.length > 0) queue.unshift(rest);
        continue;
      }
      const others = [rest, ...queue].flat();
      if (others.length > 0) out.failed = { items: others, error: tooManyRefusals(refusals, refused.reason, error) };
      break;
    }
  }
  return out;
}

function tooLargeRecord(path: string, cause: UfsError): UfsError {
  return new UfsError(
    'TOO_LARGE',
    `[ufs] [server] put_files "${path}": the server refuses this record as too large even alone: ${cause.message.replace(/^\[ufs\] /, '')}`,
    { retryable: false, cause, context: { backend: 'server', operation: 'put_files', path, status: 413 } },
  );
}

function tooManyRefusals(count: number, last: string, cause: UfsError): UfsError {
  return new UfsError(
    'INVALID_INPUT',
    `[ufs] [server] put_files: not sent again: the server refused ${count} records of this batch one after another (last: ${last})`,
    { retryable: false, cause, context: { backend: 'server', operation: 'put_files', status: cause.context.status } },
  );
}
