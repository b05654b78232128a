import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureDedupApp, createBootstrapKey, DedupModule, openContentMount, openStore } from '@org/server';

/** Mounts DedupModule in an app of your own, creates the first key, catalogues a file and uploads its content. */
export async function quickstart(dataDir: string): Promise<{ putFile: unknown; upload: unknown; content: string }> {
  const content = await openContentMount(join(dataDir, 'content')); // or 's3://bucket/prefix?endpoint=…'
  const app = await NestFactory.create<NestFastifyApplication>(
    DedupModule.forRoot({ store: { sqlitePath: join(dataDir, 'ufs.db') }, content: content.backend }),
    new FastifyAdapter({ forceCloseConnections: true }),
    { logger: ['error'] },
  );
  configureDedupApp(app); // streamed uploads, JSON errors, metrics, /docs and /openapi.json
  await app.listen({ port: 0, host: '127.0.0.1' });
  const url = await app.getUrl();

  // The first key is made with direct store access (what `ufs server key create --bootstrap` does).
  const admin = await openStore({ sqlitePath: join(dataDir, 'ufs.db') });
  const { apiKey } = await createBootstrapKey(admin.store);
  await admin.close();

  const bytes = 'hello ufs\n';
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const headers = { 'x-api-key': apiKey };
  const putFile = await (
    await fetch(`${url}/put_file`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        filepath: '/home/me/hello.txt',
        hostname: 'laptop',
        ip_address: '10.0.0.5',
        sha256,
        file_size: 10,
        file_mode: 0o100644,
        file_uid: 1000,
        file_gid: 1000,
        file_mtime: 1_700_000_000,
        file_atime: 1_700_000_000,
        file_ctime: 1_700_000_000,
      }),
    })
  ).json(); // { ..., upload_required: true, upload_url: '/upload_file/<sha256>' }

  const form = new FormData();
  form.append('file', new Blob([bytes]), 'hello.txt');
  const query = new URLSearchParams({ hostname: 'laptop', filepath: '/home/me/hello.txt' });
  const upload = await (
    await fetch(`${url}/upload_file/${sha256}?${query}`, { method: 'POST', headers, body: form })
  ).json();

  const text = await (await fetch(`${url}/files/${sha256}/content`, { headers })).text();
  await app.close();
  await content.dispose();
  return { putFile, upload, content: text };
}
