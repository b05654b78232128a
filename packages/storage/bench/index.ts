/**
 * @org/storage benchmarks (issue 3): `pnpm --filter @org/storage bench` (tsx runs the TypeScript directly).
 *   1. local backend vs node:fs/promises, flydrive (FS driver) and unstorage (fs driver) — bench/local.ts
 *   2. s3 backend vs @aws-sdk/client-s3 + lib-storage, flydrive (S3 driver) and unstorage (s3 driver) on one
 *      radosgw — bench/s3.ts (started here unless UFS_TEST_S3_* are set)
 *   3. sftp backend vs OpenSSH's sftp client (get/put of one large file, at most 512 MiB) — bench/sftp.ts
 *   4. listing 100000 local entries (one folder, and a tree) vs fs.readdir + fs.stat of each — bench/list.ts
 *   5. copyNode of the small files from s3 (radosgw) and webdav to a local folder and back: time and HTTP requests
 *      per file — bench/copy.ts
 * Settings: UFS_BENCH_SMALL_FILES (1000), UFS_BENCH_SMALL_BYTES (1024), UFS_BENCH_LARGE_MB (1024; 0 = skip),
 * UFS_BENCH_RUNS (3; best and median shown), UFS_BENCH_CONCURRENCY (16), UFS_BENCH_FOLDERS (10),
 * UFS_BENCH_ONLY (local | s3 | sftp | list | copy), UFS_BENCH_SUBJECTS (comma-separated subject names),
 * UFS_BENCH_DIR (temp parent),
 * UFS_BENCH_S3_PART_MB (8) and UFS_BENCH_S3_QUEUE (4): multipart settings of ours and of the raw Upload.
 * UFS_BENCH_LIST_ENTRIES (100000) and UFS_BENCH_LIST_FOLDERS (100): the listing bench's files and tree folders.
 */
import { settings } from './harness.js';
import { benchCopy } from './copy.js';
import { benchList } from './list.js';
import { benchLocal } from './local.js';
import { benchS3 } from './s3.js';
import { benchSftp } from './sftp.js';

console.log(
  `@org/storage bench — node ${process.version}, ${settings.runs} runs + 1 warm-up (best and median shown), ` +
    `${settings.concurrency} operations in flight for small files`,
);
const misses: string[] = [];
if (settings.only === '' || settings.only === 'local') misses.push(...(await benchLocal()));
if (settings.only === '' || settings.only === 's3') misses.push(...(await benchS3()));
if (settings.only === '' || settings.only === 'sftp') misses.push(...(await benchSftp()));
if (settings.only === '' || settings.only === 'list') misses.push(...(await benchList()));
if (settings.only === '' || settings.only === 'copy') misses.push(...(await benchCopy()));
console.log(misses.length === 0 ? '\nall targets met' : `\ntargets missed:\n${misses.map((m) => `  ${m}`).join('\n')}`);
