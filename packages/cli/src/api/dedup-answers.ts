import { UfsError, type FileMetadataInput } from '@org/core';

/** How one put_files batch moved a host's catalogue revision (the server's `catalogue_revisions`). */
export interface RevisionStep {
  /** The revision the batch found; null when the server cannot say no other write came in between. */
  before: string | null;
  after: string;
}

export interface BatchResult {
  results: Array<{ hostname: string; filepath: string; sha256: string; upload_required: boolean }>;
  upload_required: string[];
  /** Per hostname of the batch (ufs servers with catalogue revisions; absent from older ones). */
  catalogue_revisions?: Record<string, RevisionStep>;
}

/**
 * What `GET /catalogue` says: the epoch, and with `?hostname=` (ufs servers that keep them) the host's revision and
 * how many of its records the server holds without their content.
 */
export interface Catalogue {
  epoch: string;
  revision?: string;
  withoutContent?: number;
}

const SHA256 = /^[0-9a-f]{64}$/;
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const shown = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v)?.slice(0, 80));

/**
 * A 200 answer that is not what the API promises: UNAVAILABLE (the scan stops: a server answering so answers every
 * batch so), not retried, naming the server, the request and what was wrong, so that nothing is counted or
 * remembered as catalogued on the strength of it.
 */
export function badAnswer(base: string, request: string, problem: string): UfsError {
  return new UfsError(
    'UNAVAILABLE',
    `[ufs] [server] ${request}: ${base} answered 200 but not as a ufs or PutPlace server does: ${problem}; nothing ` +
      'of it was taken as catalogued (is --server the address of the dedup server?)',
    { retryable: false, context: { backend: 'server', operation: request, path: base, status: 200 } },
  );
}

/**
 * The answer of `GET /catalogue`, checked (see badAnswer): a string epoch, a string revision when there is one, and
 * with it a count of records without content (a whole number >= 0) when there is one.
 */
export function checkCatalogue(base: string, answer: unknown): Catalogue {
  const fail = (problem: string) => badAnswer(base, 'GET /catalogue', problem);
  if (!isObject(answer)) throw fail(`the answer is ${shown(answer)}, not an object`);
  const { catalogue_epoch: epoch, catalogue_revision: revision, records_without_content: gaps } = answer;
  if (typeof epoch !== 'string' || epoch === '') throw fail(`catalogue_epoch is ${shown(epoch)}, not a string`);
  if (revision === undefined) return { epoch };
  if (typeof revision !== 'string' || revision === '')
    throw fail(`catalogue_revision is ${shown(revision)}, not a string`);
  if (gaps === undefined) return { epoch, revision };
  if (typeof gaps !== 'number' || !Number.isSafeInteger(gaps) || gaps < 0)
    throw fail(`records_without_content is ${shown(gaps)}, not a count`);
  return { epoch, revision, withoutContent: gaps };
}

/**
 * The answer of `POST /put_files` for `records`, checked field by field against the API (see badAnswer): one result
 * per record sent, in order, each naming that record (hostname, filepath, sha256) with `_id`, a boolean
 * `upload_required` and `upload_url` (string or null); `upload_required` the hashes of exactly the results that need
 * one; `catalogue_revisions`, when present, one step (before: string or null, after: string) per hostname sent.
 */
export function checkBatch(base: string, records: readonly FileMetadataInput[], answer: unknown): BatchResult {
  const fail = (problem: string) => badAnswer(base, 'POST /put_files', problem);
  if (!isObject(answer)) throw fail(`the answer is ${shown(answer)}, not an object`);
  const { results, upload_required: needed, catalogue_revisions: revisions } = answer;
  if (!Array.isArray(results)) throw fail(`results is ${shown(results)}, not an array`);
  if (results.length !== records.length)
    throw fail(`results has ${results.length} entries for the ${records.length} records sent`);
  const wanted = new Set<string>();
  results.forEach((r: unknown, i) => {
    checkResult(fail, `results[${i}]`, r, records[i]!);
    if ((r as { upload_required: boolean }).upload_required) wanted.add(records[i]!.sha256);
  });
  if (!Array.isArray(needed) || !needed.every((h) => typeof h === 'string' && SHA256.test(h)))
    throw fail(`upload_required is ${shown(needed)}, not an array of hashes`);
  const listed = new Set(needed as string[]);
  const odd = [...listed].find((h) => !wanted.has(h)) ?? [...wanted].find((h) => !listed.has(h));
  if (odd !== undefined) throw fail(`upload_required and the results disagree about ${odd}`);
  const out: BatchResult = { results: results as BatchResult['results'], upload_required: needed as string[] };
  if (revisions === undefined) return out;
  if (!isObject(revisions)) throw fail(`catalogue_revisions is ${shown(revisions)}, not an object`);
  for (const hostname of new Set(records.map((r) => r.hostname))) {
    const step = revisions[hostname];
    const ok =
      isObject(step) &&
      typeof step.after === 'string' &&
      step.after !== '' &&
      (step.before === null || typeof step.before === 'string');
    if (!ok) throw fail(`catalogue_revisions[${JSON.stringify(hostname)}] is ${shown(step)}, not {before, after}`);
  }
  return { ...out, catalogue_revisions: revisions as Record<string, RevisionStep> };
}

/**
 * One result (of put_files, or the answer of a put_file) naming `record`: hostname, filepath and sha256 as sent, a
 * boolean upload_required; `full` (put_files) also `_id` and `upload_url`.
 */
export function checkResult(
  fail: (problem: string) => UfsError,
  what: string,
  result: unknown,
  record: FileMetadataInput,
  full = true,
): void {
  if (!isObject(result)) throw fail(`${what} is ${shown(result)}, not an object`);
  for (const field of ['hostname', 'filepath', 'sha256'] as const) {
    if (result[field] !== record[field])
      throw fail(`${what}.${field} is ${shown(result[field])}, not the ${shown(record[field])} sent`);
  }
  if (typeof result.upload_required !== 'boolean')
    throw fail(`${what}.upload_required is ${shown(result.upload_required)}, not a boolean`);
  if (!full) return;
  if (typeof result._id !== 'string' || result._id === '') throw fail(`${what}._id is ${shown(result._id)}`);
  if (result.upload_url !== null && typeof result.upload_url !== 'string')
    throw fail(`${what}.upload_url is ${shown(result.upload_url)}, not a string or null`);
}
