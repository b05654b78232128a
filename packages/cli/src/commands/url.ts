import { Args, Flags } from '@oclif/core';
import { UfsError, readDuration } from '@org/core';
import type { StorageNode } from '@org/storage';
import { asUfsError } from '../errors.js';
import { StorageCommand } from '../storage/storage-command.js';

export default class Url extends StorageCommand<typeof Url> {
  static override summary = 'Print a URL for a file: presigned where the backend signs, else its public URL.';
  static override description =
    'S3, GCS and Azure give presigned URLs valid for --expires (S3 and GCS: at most 7 days); Dropbox temporary links always last 4 hours (the default there; another --expires is refused); local and HTTP mounts with a baseUrl give public URLs, which do not expire (--expires does not apply; expiresIn is null in --json). A folder (a path ending in "/", or the root of a mount) is refused. With --upload the URL accepts a PUT of new content. Mounts without URLs answer UNSUPPORTED (exit 69).';
  static override examples = [
    '<%= config.bin %> <%= command.id %> s3:reports/q1.pdf --expires 2h',
    {
      description: 'A URL someone can PUT a file to for 15 minutes',
      command: '<%= config.bin %> <%= command.id %> --upload --expires 15m s3:inbox/upload.bin',
    },
  ];
  static override args = { path: Args.string({ description: 'File (mount:path)', required: true }) };
  static override flags = {
    expires: Flags.string({
      char: 'e',
      description:
        'How long a presigned URL stays valid: seconds (90s, or 90 as aws s3 presign takes), 30m, 24h, 7d, 1w.',
      default: '1h',
    }),
    upload: Flags.boolean({ description: 'A presigned PUT URL for uploading instead of a GET URL.' }),
  };

  async run(): Promise<{ path: string; url: string; method: 'GET' | 'PUT'; expiresIn: number | null }> {
    let expiresIn = expirySeconds(this.flags.expires);
    const node = await this.node(this.args.path);
    if (node.isRoot || node.folderOnly) {
      const why = node.isRoot ? 'the root of a mount is a folder' : 'a path ending in "/" names a folder';
      const named = node.isRoot ? this.named(node) : `${this.named(node)}/`;
      throw new UfsError('INVALID_INPUT', `[ufs] url "${named}": ${why}, not a file`, {
        context: { operation: 'url', path: this.show(node) },
      });
    }
    // Where the mount cannot sign, a GET URL is its public URL (see StorageNode.url): it does not expire.
    const backend = node.backend;
    const signed = this.flags.upload || Boolean(backend.capabilities.presignGet && backend.presignGet);
    // Links of one lifetime (Dropbox: 4 hours): that one unless --expires was typed, and then it must be that one.
    const fixed = this.flags.upload ? undefined : backend.capabilities.presignFixedSeconds;
    if (signed && fixed !== undefined) {
      if (!this.typedFlags.has('expires')) expiresIn = fixed;
      else if (expiresIn !== fixed) throw fixedLifetime(node, this.flags.expires, fixed);
    }
    if (signed) checkMaximum(node, this.flags.expires, expiresIn);
    let url: string;
    try {
      url = this.flags.upload ? await node.uploadUrl({ expiresIn }) : await node.url({ expiresIn });
    } catch (err) {
      throw refusedExpiry(asUfsError(err), this.flags.expires, expiresIn);
    }
    if (!signed && this.typedFlags.has('expires'))
      this.note(`[ufs] url: --expires does not apply to "${this.named(node)}": its public URL does not expire`);
    this.out(url);
    const method = this.flags.upload ? 'PUT' : 'GET';
    return { path: this.show(node), url, method, expiresIn: signed ? expiresIn : null };
  }
}

function usage(message: string): UfsError {
  return new UfsError('INVALID_INPUT', `[ufs] url: ${message}`, { context: { operation: 'url' } });
}

/** `--expires` in whole seconds: `90`, `90s`, `30m`, `1.5h`, `7d`, `1w`; a usage error otherwise. */
function expirySeconds(value: string): number {
  // A bare number is seconds, as `aws s3 presign --expires-in` takes it.
  const reading = readDuration(value, { units: ['s', 'm', 'h', 'd', 'w'], bare: 's' });
  if (!reading.ok && reading.problem === 'not-positive')
    throw usage(`--expires must be positive, got ${JSON.stringify(value)}`);
  if (!reading.ok) {
    throw usage(
      `--expires ${JSON.stringify(value)} is not a duration like 90s, 30m, 24h or 7d (or a number of seconds)`,
    );
  }
  const seconds = Math.round(reading.ms / 1000);
  if (seconds < 1) throw usage(`--expires must be at least 1 second, got ${JSON.stringify(value)}`);
  return seconds;
}

/** `604800` → `7d` and `7 days`: the largest unit up to days that divides the seconds evenly. */
function spokenSeconds(seconds: number): { flag: string; spoken: string } {
  const units: Array<[number, string, string]> = [
    [86_400, 'd', 'day'],
    [3600, 'h', 'hour'],
    [60, 'm', 'minute'],
  ];
  for (const [size, flag, word] of units) {
    if (seconds % size === 0) {
      const n = seconds / size;
      return { flag: `${n}${flag}`, spoken: `${n} ${word}${n === 1 ? '' : 's'}` };
    }
  }
  return { flag: `${seconds}s`, spoken: `${seconds} seconds` };
}

/** --expires other than the one lifetime the mount's links have: UNSUPPORTED naming it (never a longer link). */
function fixedLifetime(node: StorageNode, value: string, fixed: number): UfsError {
  const { flag, spoken } = spokenSeconds(fixed);
  return new UfsError(
    'UNSUPPORTED',
    `[ufs] url: --expires ${value} cannot be kept: ${node.backend.protocol} links always last ${spoken} (--expires ${flag}, or leave --expires out)`,
    { context: { operation: 'url', path: `${node.mountName}:${node.path}` } },
  );
}

/**
 * A value over what the mount's backend can sign (its `presignMaxSeconds`) is a usage error naming --expires and the
 * maximum, before signing (the backends refuse with their own wording of the library's `expiresIn`).
 */
function checkMaximum(node: StorageNode, value: string, expiresIn: number): void {
  const max = node.backend.capabilities.presignMaxSeconds;
  if (max === undefined || expiresIn <= max) return;
  const { flag, spoken } = spokenSeconds(max);
  throw usage(
    `--expires ${value} is too long: ${node.backend.protocol} presigned URLs last at most ${spoken} (--expires ${flag})`,
  );
}

/**
 * A backend that refuses the expiry itself (its message speaks of `expiresIn`, the library's option): a usage error
 * naming --expires, the backend's reason kept.
 */
function refusedExpiry(error: UfsError, value: string, expiresIn: number): UfsError {
  if (error.code !== 'INVALID_INPUT' || !/expiresIn/.test(error.message)) return error;
  return new UfsError(
    'INVALID_INPUT',
    `[ufs] url: --expires ${value} (${expiresIn} s) is refused by the mount: ${error.message.replace(/^\[ufs\] /, '')}`,
    { context: { ...error.context, operation: 'url' }, cause: error },
  );
}
