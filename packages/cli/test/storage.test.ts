import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { s3Bucket } from './helpers/s3.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let data: string;
const photo = randomBytes(70_000);

beforeAll(async () => {
  box = await sandbox();
  data = join(box.dir, 'data');
  await mkdir(join(data, 'docs/deep'), { recursive: true });
  await writeFile(join(data, 'docs/a.md'), '# a\n');
  await writeFile(join(data, 'docs/deep/b.md'), '# b\n');
  await writeFile(join(data, 'notes.txt'), 'buy milk\n');
  const s3 = await s3Bucket();
  await s3.put('photos/beach.jpg', photo);
  await s3.put('photos/2024/sea.jpg', 'sea');
  const config = {
    mounts: {
      data: { protocol: 'local', root: data },
      pub: { protocol: 'local', root: data, baseUrl: 'https://cdn.example.com/files' },
      ro: { path: 'data:docs', permissions: 'readonly' },
      s3: s3.mount,
    },
  };
  await mkdir(join(box.env.XDG_CONFIG_HOME!, 'ufs'), { recursive: true });
  await writeFile(join(box.env.XDG_CONFIG_HOME!, 'ufs', 'config.yaml'), stringify(config));
  env = box.env;
}, 60_000);
afterAll(async () => {
  await box.cleanup();
});

describe('ufs ls', () => {
  it('lists one level with folders marked, on a local mount and on S3', async () => {
    const [run, s3] = await Promise.all([ufs(['ls', 'data:docs'], { env }), ufs(['ls', 's3:photos'], { env })]);
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('a.md\ndeep/\n');
    expect(s3.stdout.split('\n').filter(Boolean).sort()).toEqual(['2024/', 'beach.jpg']);
  });

  it('-r lists everything below with relative paths; --long and --json give sizes', async () => {
    const [run, long, json] = await Promise.all([
      ufs(['ls', '-r', 's3:photos'], { env }),
      ufs(['ls', '-l', 's3:photos'], { env }),
      ufs(['ls', '--json', '-r', '--glob', '**/*.md', 'data:'], { env }),
    ]);
    expect(
      run.stdout
        .split('\n')
        .filter((l) => l && !l.endsWith('/'))
        .sort(),
    ).toEqual(['2024/sea.jpg', 'beach.jpg']);
    expect(long.stdout).toMatch(/^file\s+68 KiB\s+\d{4}-\d\d-\d\dT\S+\s+beach\.jpg$/m);
    expect(json.json<Array<{ path: string; size: number }>>().map((e) => [e.path, e.size])).toEqual([
      ['data:docs/a.md', 4],
      ['data:docs/deep/b.md', 4],
    ]);
  });

  it('works on bare local paths (an implicit local mount)', async () => {
    const [abs, rel] = await Promise.all([
      ufs(['ls', join(data, 'docs')], { env }),
      ufs(['ls', '--json', 'docs'], { env, cwd: data }),
    ]);
    expect(abs.stdout).toBe('a.md\ndeep/\n');
    expect(rel.json<Array<{ path: string }>>().map((e) => e.path)).toEqual([
      join(data, 'docs/a.md'),
      join(data, 'docs/deep'),
    ]);
  });

  it('names bare local paths in errors as the paths given, a named mount as mount:path', async () => {
    const missing = join(data, 'docs/missing.md');
    const [cat, below, url, named] = await Promise.all([
      ufs(['cat', missing], { env }),
      ufs(['mkdir', '--json', join(data, 'notes.txt/sub')], { env }),
      ufs(['url', join(data, 'notes.txt')], { env }),
      ufs(['cat', 'data:docs/missing.md'], { env }),
    ]);
    expect(cat.status).toBe(66);
    expect(cat.stderr.trim()).toBe(`[ufs] [local] read "${missing}": no such file`);
    expect(below.json<Array<{ error: { message: string; context: { path: string } } }>>()[0]!.error).toMatchObject({
      message: `[ufs] [local] mkdir "${join(data, 'notes.txt/sub')}": "${join(data, 'notes.txt')}" is a file, not a folder`,
      context: { path: join(data, 'notes.txt/sub') },
    });
    expect(url.stderr.trim()).toBe(
      `[ufs] [local] url "${join(data, 'notes.txt')}": the local backend does not support url`,
    );
    expect(named.stderr).toContain('"data:docs/missing.md"');
  });

  it('an unknown mount is NOT_FOUND (66) naming the configured ones', async () => {
    const run = await ufs(['ls', 'nope:x'], { env });
    expect(run.status).toBe(66);
    expect(run.stderr.trim()).toMatch(/unknown mount "nope".*configured: data, pub, ro, s3/);
  });
});

describe('ufs cat / stat', () => {
  it('cat streams exact bytes from S3 and local files, in order', async () => {
    const [run, bytes] = await Promise.all([
      ufs(['cat', 'data:notes.txt', 'ro:a.md'], { env }),
      new Promise<Buffer>((resolve, reject) => {
        import('node:child_process').then(({ spawn }) => {
          const child = spawn(
            process.execPath,
            [join(import.meta.dirname, '../bin/run.js'), 'cat', 's3:photos/beach.jpg'],
            { env: { ...process.env, ...env } },
          );
          const chunks: Buffer[] = [];
          child.stdout.on('data', (c: Buffer) => chunks.push(c));
          child.on('close', (code) =>
            code === 0 ? resolve(Buffer.concat(chunks)) : reject(new Error(`exit ${code}`)),
          );
        }, reject);
      }),
    ]);
    expect(run.stdout).toBe('buy milk\n# a\n');
    expect(bytes.equals(photo)).toBe(true);
  });

  it('cat of a missing file is 66 with nothing on stdout', async () => {
    const run = await ufs(['cat', 's3:photos/missing.jpg'], { env });
    expect(run.status).toBe(66);
    expect(run.stdout).toBe('');
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('stat shows size and kind; --json too', async () => {
    const [run, json] = await Promise.all([
      ufs(['stat', 's3:photos/beach.jpg'], { env }),
      ufs(['stat', '--json', 'data:docs', 'data:notes.txt'], { env }),
    ]);
    expect(run.stdout).toContain(`size:  ${photo.length}`);
    expect(json.json()).toEqual([
      expect.objectContaining({ path: 'data:docs', isDir: true }),
      expect.objectContaining({ path: 'data:notes.txt', isFile: true, size: 9 }),
    ]);
  });
});

describe('ufs mkdir / rm', () => {
  it('mkdir -p creates nested folders; rm refuses folders without -r, missing paths without -f', async () => {
    expect((await ufs(['mkdir', '-p', 'data:new/a/b'], { env })).status).toBe(0);
    // Runs that change nothing go side by side: stat and the refused rm, then the two rm of the missing folder.
    const [stat, noR] = await Promise.all([
      ufs(['stat', '--json', 'data:new/a/b'], { env }),
      ufs(['rm', 'data:new'], { env }),
    ]);
    expect(stat.json()).toEqual([expect.objectContaining({ isDir: true })]);
    expect(noR.status).toBe(64);
    expect(noR.stderr).toContain('is a folder (use -r)');
    expect((await ufs(['rm', '-r', 'data:new'], { env })).status).toBe(0);
    const [missing, forced] = await Promise.all([
      ufs(['rm', 'data:new'], { env }),
      ufs(['rm', '-f', 'data:new'], { env }),
    ]);
    expect(missing.status).toBe(66);
    expect(forced.status).toBe(0);
  });

  it('rm deletes a file on S3; a readonly mount refuses with 77', async () => {
    const [ro] = await Promise.all([
      ufs(['rm', 'ro:a.md'], { env }),
      (async () => {
        expect((await ufs(['rm', 's3:photos/2024/sea.jpg'], { env })).status).toBe(0);
        expect((await ufs(['cat', 's3:photos/2024/sea.jpg'], { env })).status).toBe(66);
      })(),
    ]);
    expect(ro.status).toBe(77);
    expect(await readFile(join(data, 'docs/a.md'), 'utf8')).toBe('# a\n');
  });
});

describe('ufs url', () => {
  it('presigned GET and PUT URLs on S3 work', async () => {
    const [get, put] = await Promise.all([
      ufs(['url', '--expires', '10m', 's3:photos/beach.jpg'], { env }),
      ufs(['url', '--upload', 's3:inbox/new.txt', '--json'], { env }),
    ]);
    expect(get.status).toBe(0);
    const body = Buffer.from(await (await fetch(get.stdout.trim())).arrayBuffer());
    expect(body.equals(photo)).toBe(true);
    const { url, method } = put.json<{ url: string; method: string }>();
    expect(method).toBe('PUT');
    expect((await fetch(url, { method: 'PUT', body: 'uploaded' })).status).toBe(200);
    expect((await ufs(['cat', 's3:inbox/new.txt'], { env })).stdout).toBe('uploaded');
  });

  it('public URLs from a baseUrl; UNSUPPORTED (69) where a mount has none', async () => {
    const [pub, none] = await Promise.all([
      ufs(['url', 'pub:docs/a.md'], { env }),
      ufs(['url', 'data:docs/a.md'], { env }),
    ]);
    expect(pub.stdout.trim()).toBe('https://cdn.example.com/files/docs/a.md');
    expect(none.status).toBe(69);
  });
});
