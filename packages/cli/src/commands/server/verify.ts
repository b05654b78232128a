import { Args, Flags } from '@oclif/core';
import { UfsError, toUfsError } from '@org/core';
import pLimit from 'p-limit';
import { AdminApi } from '../../api/admin-api.js';
import type { Answer } from '../../api/admin-answers.js';
import { runTimeoutFlag } from '../../api/admin-flags.js';
import { serverFlags } from '../../api/server-flags.js';
import { serverTarget } from '../../api/server-target.js';
import { BaseCommand } from '../../base-command.js';
import { exitCodeFor } from '../../errors.js';

type VerifyAnswer = Answer<'verifyReport'>;

/** How many `HEAD /files/{sha256}/content` an older server is asked at a time. */
const HEAD_CONCURRENCY = 8;

/**
 * Which of the `asked` hashes the server holds no content for, and how many. A server that reports `notFound` is
 * taken at its word (its list is cut at its limit; `notFoundCount` is exact), and one that leaves it out while it
 * checked every asked hash found them all. An older server checks only content it holds and says nothing of the
 * rest, so a hash it did not check (neither counted ok nor listed) is asked about with `HEAD /files/{sha256}/content`
 * (404: not held), HEAD_CONCURRENCY at a time. The list is undefined when some cannot be told apart (the key may
 * not read content): then only their number is known.
 */
async function notFoundOf(
  api: AdminApi,
  asked: string[],
  report: VerifyAnswer,
): Promise<{ list: string[] | undefined; count: number }> {
  if (report.notFound) return { list: report.notFound, count: report.notFoundCount ?? report.notFound.length };
  if (report.checked >= asked.length) return { list: [], count: 0 };
  const seen = new Set([...report.missing, ...report.corrupt, ...(report.unreadable ?? [])]);
  const unchecked = asked.filter((sha) => !seen.has(sha));
  const limit = pLimit(HEAD_CONCURRENCY);
  // After an answer other than 404 the hashes still queued are not asked about (their HEADs would not decide).
  let undecided = false;
  const held = await Promise.all(
    unchecked.map((sha) =>
      limit(async () => {
        if (undecided) return false;
        try {
          await api.head(`/files/${sha}/content`);
          return true;
        } catch (err) {
          if (toUfsError(err).code !== 'NOT_FOUND') undecided = true;
          return false;
        }
      }),
    ),
  );
  if (undecided) return { list: undefined, count: Math.max(0, asked.length - report.checked) };
  const list = unchecked.filter((_, i) => !held[i]);
  return { list, count: list.length };
}

export default class ServerVerify extends BaseCommand<typeof ServerVerify> {
  static override summary = 'Re-hash stored content and report what is missing or corrupt.';
  static override description =
    'Runs the integrity check on the server (POST /admin/verify, admin scope). With --repair, missing or corrupt content is removed so that clients are asked to upload it again. The exit status is 65 (INTEGRITY) when problems were found and not repaired, 66 (NOT_FOUND) when a given hash is not held by the server, 69 (UNAVAILABLE) when some content could not be read (the server log says why).';
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {
      description: 'Check two contents and repair them if needed',
      command:
        '<%= config.bin %> <%= command.id %> --repair 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08 60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752',
    },
  ];
  static override strict = false;
  static override args = { sha256: Args.string({ description: 'Content hash(es) to check (default: all)' }) };
  static override flags = {
    ...serverFlags,
    repair: Flags.boolean({ description: 'Remove missing or corrupt content so it is uploaded again.' }),
    timeout: runTimeoutFlag(),
  };

  async run(): Promise<VerifyAnswer & { notFound: string[]; notFoundCount: number }> {
    const api = new AdminApi(serverTarget(this.flags, await this.cliConfig(), this.typedFlags), {
      timeoutSeconds: this.flags.timeout,
      debugNote: (line) => this.debugNote(line),
    });
    const asked = [...new Set(this.argList)];
    const report = await api.call('POST', '/admin/verify', 'verifyReport', {
      body: { ...(this.flags.repair ? { repair: true } : {}), ...(asked.length ? { sha256: asked } : {}) },
    });
    // A server older than this CLI does not report unreadable content.
    const unreadable = report.unreadable ?? [];
    const { list: notFound, count: unknownCount } = asked.length
      ? await notFoundOf(api, asked, report)
      : { list: [], count: 0 };
    // The lists name at most the server's first 1000 hashes each; the counts are exact (older servers: the lengths).
    const missing = report.missingCount ?? report.missing.length;
    const corrupt = report.corruptCount ?? report.corrupt.length;
    const repaired = report.repairedCount ?? report.repaired.length;
    const unreadableCount = report.unreadableCount ?? unreadable.length;
    this.out(
      `checked ${report.checked}: ${report.ok} ok, ${missing} missing, ${corrupt} corrupt, ${repaired} repaired, ${unreadableCount} unreadable${unknownCount ? `, ${unknownCount} not found` : ''}`,
    );
    if (report.truncated) this.note("the lists below are cut at the server's limit; the counts above are exact");
    for (const sha of report.missing) this.note(`missing: ${sha}`);
    for (const sha of report.corrupt) this.note(`corrupt: ${sha}`);
    for (const sha of unreadable) this.note(`unreadable (see the server log): ${sha}`);
    for (const sha of notFound ?? []) this.note(`not found (the server holds no such content): ${sha}`);
    if (notFound === undefined && unknownCount > 0)
      this.note(`${unknownCount} of the ${asked.length} given hashes are not held by the server`);
    const unrepaired = missing + corrupt - repaired;
    if (unrepaired > 0) this.setExitStatus(exitCodeFor(new UfsError('INTEGRITY', 'unrepaired content')));
    else if (unknownCount > 0) this.setExitStatus(exitCodeFor(new UfsError('NOT_FOUND', 'unknown content')));
    else if (unreadableCount > 0) this.setExitStatus(exitCodeFor(new UfsError('UNAVAILABLE', 'unreadable content')));
    return { ...report, notFound: notFound ?? [], notFoundCount: unknownCount };
  }
}
