/**
 * Bench 2: the `s3` backend against `@aws-sdk/client-s3` (+ lib-storage `Upload`) used directly, and against
 * flydrive's S3 driver and unstorage's s3 driver, all on the same radosgw (started here unless UFS_TEST_S3_* are set).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { s3FromEnv, startRadosgw, type RadosgwHandle, type S3Endpoint } from '@org/test-services';
import { Disk } from 'flydrive';
import { S3Driver } from 'flydrive/drivers/s3';
import { createStorage, type Storage } from 'unstorage';
import s3Driver from 'unstorage/drivers/s3';
import { StorageManager } from '../src/index.js';
import {
  drain,
  measureAll,
  printNotes,
  printRuns,
  printTable,
  LEGEND,
  selected,
  settings,
  type Comparison,
  type Subject,
} from './harness.js';

const BUCKET = 'ufs-bench';
const MiB = 1024 * 1024;
/** Multipart settings of ours (mount options; defaults 8 MiB × 4) and of the raw Upload alike. */
const PART_SIZE = Number(process.env.UFS_BENCH_S3_PART_MB || 8) * MiB;
const QUEUE_SIZE = Number(process.env.UFS_BENCH_S3_QUEUE || 4);

/**
 * The client settings ours uses for a custom endpoint (src/backends/s3/client.ts): path style, and checksums only
 * where required (radosgw lacks the newer CRC trailers). The raw subjects use the same, so no one pays for more.
 */
function clientConfig(s3: S3Endpoint): S3ClientConfig {
  return {
    endpoint: s3.endpoint,
    region: s3.region,
    forcePathStyle: true,
    followRegionRedirects: true,
    credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  };
}

/** Deletes every object under a prefix (or the whole bucket), 1000 per request. */
async function empty(client: S3Client, bucket: string, prefix?: string): Promise<void> {
  for (;;) {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
    const objects = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
    if (objects.length === 0) return;
    await client.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects, Quiet: true } }));
  }
}

/** A subject writing under `<slug>/<run>/` of the bench bucket. */
abstract class InPrefix implements Subject {
  abstract name: string;
  protected prefix = '';
  constructor(protected readonly admin: S3Client) {}
  protected get slug(): string {
    return this.name.replace(/[^a-z0-9]+/gi, '-');
  }
  async begin(run: string): Promise<void> {
    this.prefix = `${this.slug}/${run}`;
  }
  async end(): Promise<void> {
    await empty(this.admin, BUCKET, `${this.prefix}/`);
  }
  protected key(key: string): string {
    return `${this.prefix}/${key}`;
  }
}

/** The SDK commands directly: PutObject, GetObject, HeadObject, ListObjectsV2 pages, lib-storage Upload. */
class RawSdk extends InPrefix {
  name = '@aws-sdk/client-s3';
  constructor(
    admin: S3Client,
    private readonly client: S3Client,
  ) {
    super(admin);
  }
  async writeSmall(key: string, data: Buffer): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: BUCKET, Key: this.key(key), Body: data }));
  }
  async readSmall(key: string): Promise<Uint8Array> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: this.key(key) }));
    return out.Body!.transformToByteArray();
  }
  async statSmall(key: string): Promise<number> {
    return (await this.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: this.key(key) }))).ContentLength!;
  }
  async list(): Promise<number> {
    let files = 0;
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${this.prefix}/`, ContinuationToken: token }),
      );
      files += page.Contents?.length ?? 0;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files;
  }
  async writeLarge(source: Readable): Promise<void> {
    const upload = new Upload({
      client: this.client,
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      params: { Bucket: BUCKET, Key: this.key('large.bin'), Body: source },
    });
    await upload.done();
  }
  async readLarge(): Promise<number> {
    const out = await this.client.send(new GetObjectCommand({ Bucket: BUCKET, Key: this.key('large.bin') }));
    return drain(out.Body as Readable);
  }
}

/** Ours: an `s3` mount on the bench bucket, every operation through `storage.node(…)`. */
class Ours extends InPrefix {
  name = 'ours';
  private storage = new StorageManager();
  private ready: Promise<void> | undefined;
  constructor(
    admin: S3Client,
    private readonly s3: S3Endpoint,
  ) {
    super(admin);
  }
  override async begin(run: string): Promise<void> {
    const { endpoint, region, accessKeyId, secretAccessKey } = this.s3;
    this.ready ??= this.storage.configure([
      {
        name: 'bench',
        protocol: 's3',
        bucket: BUCKET,
        endpoint,
        region,
        accessKeyId,
        secretAccessKey,
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
      },
    ]);
    await this.ready;
    await super.begin(run);
  }
  private node(key: string) {
    return this.storage.node(`bench:${this.prefix}`, ...(key === '' ? [] : [key]));
  }
  async writeSmall(key: string, data: Buffer): Promise<void> {
    await this.node(key).writeBytes(data);
  }
  readSmall(key: string): Promise<Buffer> {
    return this.node(key).readBytes();
  }
  async statSmall(key: string): Promise<number> {
    return (await this.node(key).stat()).size;
  }
  async list(): Promise<number> {
    let files = 0;
    for await (const node of this.node('').list({ recursive: true })) if (node.listed?.isFile) files++;
    return files;
  }
  async writeLarge(source: Readable): Promise<void> {
    await this.node('large.bin').write(source);
  }
  readLarge(): Promise<number> {
    return drain(this.node('large.bin').createReadStream());
  }
  async close(): Promise<void> {
    await this.storage.dispose();
  }
}

class Flydrive extends InPrefix {
  name = 'flydrive s3';
  private disk: Disk;
  constructor(admin: S3Client, client: S3Client) {
    super(admin);
    // supportsACL: false, so that no ACL header is sent (the others send none).
    this.disk = new Disk(new S3Driver({ client, bucket: BUCKET, visibility: 'private', supportsACL: false }));
  }
  writeSmall(key: string, data: Buffer): Promise<void> {
    return this.disk.put(this.key(key), data);
  }
  readSmall(key: string): Promise<Uint8Array> {
    return this.disk.getBytes(this.key(key));
  }
  async statSmall(key: string): Promise<number> {
    return (await this.disk.getMetaData(this.key(key))).contentLength;
  }
  async list(): Promise<number> {
    let files = 0;
    let paginationToken: string | undefined;
    do {
      const page = await this.disk.listAll(`${this.prefix}/`, { recursive: true, paginationToken });
      for (const object of page.objects) if (object.isFile) files++;
      paginationToken = page.paginationToken;
    } while (paginationToken);
    return files;
  }
  /** flydrive's putStream is one PutObject (no multipart): the length must be given for a stream. */
  writeLarge(source: Readable, size: number): Promise<void> {
    return this.disk.putStream(this.key('large.bin'), source, { contentLength: size });
  }
  async readLarge(): Promise<number> {
    return drain(await this.disk.getStream(this.key('large.bin')));
  }
}

const UNSTORAGE_NO_STREAMS =
  'unstorage has no stream API (whole values in memory; its s3 driver sends them with fetch)';

/**
 * unstorage's s3 driver (aws4fetch + fetch). Its key listing ignores the prefix and reads one ListObjects (v1) page
 * of the whole bucket (1000 keys at most, no continuation), so it gets a bucket of its own per run.
 */
class Unstorage implements Subject {
  name = 'unstorage s3';
  notes: Subject['notes'] = {
    writeLarge: UNSTORAGE_NO_STREAMS,
    readLarge: UNSTORAGE_NO_STREAMS,
    ...(settings.smallFiles > 1000
      ? { list: 'its s3 driver lists one page of at most 1000 keys (ListObjects v1, no continuation)' }
      : {}),
  };
  private bucket = '';
  private storage!: Storage;
  constructor(
    private readonly admin: S3Client,
    private readonly s3: S3Endpoint,
  ) {
    if (settings.smallFiles > 1000) this.list = undefined;
  }
  async begin(run: string): Promise<void> {
    this.bucket = `${BUCKET}-unstorage-${run}`;
    await this.admin.send(new CreateBucketCommand({ Bucket: this.bucket }));
    const { endpoint, region, accessKeyId, secretAccessKey } = this.s3;
    this.storage = createStorage({
      driver: s3Driver({ endpoint, region, accessKeyId, secretAccessKey, bucket: this.bucket }),
    });
  }
  writeSmall(key: string, data: Buffer): Promise<void> {
    return this.storage.setItemRaw(key, data);
  }
  async readSmall(key: string): Promise<Uint8Array> {
    return new Uint8Array((await this.storage.getItemRaw<ArrayBuffer>(key))!);
  }
  /** Its getMeta returns the x-amz-meta-* headers only (no size): `hasItem` is the same HEAD request. */
  async statSmall(key: string): Promise<number> {
    if (!(await this.storage.hasItem(key))) throw new Error(`unstorage s3: ${key} is missing`);
    return settings.smallBytes;
  }
  async list?(): Promise<number> {
    return (await this.storage.getKeys()).length;
  }
  async end(): Promise<void> {
    await this.storage.dispose();
    await empty(this.admin, this.bucket);
    await this.admin.send(new DeleteBucketCommand({ Bucket: this.bucket }));
  }
}

const ROWS: Comparison[] = [
  { op: 'writeSmall', ours: 'ours', baseline: '@aws-sdk/client-s3', kind: 'raw' },
  { op: 'writeSmall', ours: 'ours', baseline: 'flydrive s3', kind: 'peer' },
  { op: 'writeSmall', ours: 'ours', baseline: 'unstorage s3', kind: 'peer' },
  { op: 'readSmall', ours: 'ours', baseline: '@aws-sdk/client-s3', kind: 'raw' },
  { op: 'readSmall', ours: 'ours', baseline: 'flydrive s3', kind: 'peer' },
  { op: 'readSmall', ours: 'ours', baseline: 'unstorage s3', kind: 'peer' },
  { op: 'statSmall', ours: 'ours', baseline: '@aws-sdk/client-s3', kind: 'raw' },
  { op: 'statSmall', ours: 'ours', baseline: 'flydrive s3', kind: 'peer' },
  { op: 'statSmall', ours: 'ours', baseline: 'unstorage s3', kind: 'peer' },
  { op: 'list', ours: 'ours', baseline: '@aws-sdk/client-s3', kind: 'raw' },
  { op: 'list', ours: 'ours', baseline: 'flydrive s3', kind: 'peer' },
  { op: 'list', ours: 'ours', baseline: 'unstorage s3', kind: 'peer' },
  { op: 'writeLarge', ours: 'ours', baseline: '@aws-sdk/client-s3', kind: 'raw' },
  { op: 'writeLarge', ours: 'ours', baseline: 'flydrive s3', kind: 'peer' },
  { op: 'readLarge', ours: 'ours', baseline: '@aws-sdk/client-s3', kind: 'raw' },
  { op: 'readLarge', ours: 'ours', baseline: 'flydrive s3', kind: 'peer' },
];

const run = promisify(execFile);

/** Frees deleted objects' data now (radosgw's garbage collector), so big runs do not fill the in-memory store. */
async function collectGarbage(rgw: RadosgwHandle | undefined): Promise<void> {
  if (!rgw) return;
  const conf = join(rgw.dir, 'ceph.conf');
  const log = join(rgw.dir, 'log/radosgw-admin.log');
  await run('radosgw-admin', [
    '-c',
    conf,
    '-n',
    'client.rgw',
    '--admin-socket=',
    `--log-file=${log}`,
    'gc',
    'process',
    '--include-all',
  ]);
}

/** Runs bench 2 and prints its table; returns the rows that miss their target. */
export async function benchS3(): Promise<string[]> {
  let rgw: RadosgwHandle | undefined;
  let endpoint = s3FromEnv();
  if (!endpoint) {
    const started = Date.now();
    // Each live GiB costs about 2 GiB of OSD memory; objects are deleted (and collected) after each round.
    rgw = await startRadosgw({ memstoreBytes: 8 * 1024 ** 3 });
    endpoint = rgw;
    console.log(`\n[s3] radosgw started on ${rgw.endpoint} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } else {
    console.log(`\n[s3] using UFS_TEST_S3_ENDPOINT ${endpoint.endpoint}`);
  }
  const admin = new S3Client(clientConfig(endpoint));
  const client = new S3Client(clientConfig(endpoint));
  const flyClient = new S3Client(clientConfig(endpoint));
  const subjects = selected<Subject>([
    new RawSdk(admin, client),
    new Ours(admin, endpoint),
    new Flydrive(admin, flyClient),
    new Unstorage(admin, endpoint),
  ]);
  try {
    await admin.send(new CreateBucketCommand({ Bucket: BUCKET })).catch((err: { name?: string }) => {
      if (err.name !== 'BucketAlreadyOwnedByYou' && err.name !== 'BucketAlreadyExists') throw err;
    });
    console.log(
      `[s3] ${settings.smallFiles} objects of ${settings.smallBytes} B under ${settings.folders} prefixes, ` +
        `${settings.concurrency} in flight; large ${settings.largeBytes / MiB} MiB (ours and lib-storage: ` +
        `${PART_SIZE / MiB} MiB parts, ${QUEUE_SIZE} in flight)`,
    );
    const timings = await measureAll(subjects, {
      afterRound: () => collectGarbage(rgw),
      log: (line) => console.log(line),
    });
    const misses = printTable(
      `s3 backend vs @aws-sdk/client-s3 / flydrive / unstorage on radosgw — ${LEGEND}`,
      timings,
      ROWS,
    );
    printNotes(subjects);
    if (subjects.some((s) => s instanceof Unstorage)) {
      console.log('  unstorage s3: "stat" is hasItem (HEAD): its getMeta gives user metadata only, no size');
    }
    printRuns(timings);
    return misses;
  } finally {
    for (const subject of subjects) await subject.close?.();
    await empty(admin, BUCKET).catch(() => undefined);
    for (const c of [admin, client, flyClient]) c.destroy();
    await rgw?.stop();
  }
}
