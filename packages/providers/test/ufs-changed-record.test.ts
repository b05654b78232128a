import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { writeFile } from 'node:fs/promises';
import { ufsFailure } from '@org/core/testing';
import { uploadFile, type UploadEvent, type UploadFileOptions } from '../src/index.js';
import { startUfsServer, type UfsServer } from './fakes/ufs-server.js';
import { FAST_RETRY, randomFile, tempDir } from './helpers.js';

// The ufs provider against a REAL dedup server (in process): the record of a file that changed while it was uploaded
// describes a version no longer on disk, so it is deleted (as every provider's copy is), and the report says so; only
// a failed verification keeps the record (ufs-gc-verify.test.ts).
let server: UfsServer;
let dir: string;
let cleanup: () => Promise<void>;

type Item = { _id: string; filepath: string; sha256: string };

async function records(filepath: string): Promise<Item[]> {
  const query = new URLSearchParams({ hostname: 'changed-host', path_prefix: filepath });
  const res = await fetch(`${server.url}/files?${query}`, { headers: { 'x-api-key': server.apiKey } });
  return ((await res.json()) as { items: Item[] }).items.filter((r) => r.filepath === filepath);
}

beforeAll(async () => {
  server = await startUfsServer();
  ({ dir, cleanup } = await tempDir('ufs-changed-record-'));
});
afterAll(async () => {
  await server?.close();
  await cleanup?.();
});

const opts = (extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['ufs'],
  env: { UFS_SERVER: server.url, UFS_API_KEY: server.apiKey },
  retry: FAST_RETRY,
  maxAttempts: 1,
  providerOptions: { ufs: { hostname: 'changed-host' } },
  signal: AbortSignal.timeout(60_000),
  ...extra,
});

describe('ufs provider: the file changed while uploading', () => {
  it('the record of the version that is gone is deleted, and the report says deleted, not kept', async () => {
    const file = await randomFile(dir, 'changing.bin', 8_000);
    const v1 = await uploadFile(file.path, opts());
    expect((await records(file.path)).map((r) => r.sha256)).toEqual([v1.sha256]);

    await writeFile(file.path, Buffer.alloc(9_000, 2)); // v2, uploaded
    const events: UploadEvent[] = [];
    let rewritten: Promise<void> | undefined;
    const error = await ufsFailure(
      uploadFile(
        file.path,
        opts({
          onEvent: (event) => {
            events.push(event);
            // The upload (records and content) is done: v3 replaces v2 on disk before the end of the upload.
            if (event.type === 'verify') rewritten ??= writeFile(file.path, Buffer.alloc(10_000, 3));
          },
        }),
      ),
    ).finally(() => rewritten);
    expect(rewritten).toBeDefined();
    expect(error.code).toBe('INTEGRITY');
    expect(error.message).toMatch(/the file changed while uploading/);
    const [entry] = error.context.failures as Array<Record<string, unknown>>;
    expect(entry).toMatchObject({ provider: 'ufs', code: 'INTEGRITY', deleted: true });
    expect(entry!.kept).toBeUndefined();
    expect(entry!.deleteError).toBeUndefined();
    expect(events.find((e) => e.type === 'failure')).toMatchObject({ copy: { deleted: true } });
    // No record of v2 (a version no longer on disk) is left, nor v1's (v2's replaced it).
    expect(await records(file.path)).toEqual([]);
  });
});
