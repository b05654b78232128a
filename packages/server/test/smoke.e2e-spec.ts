import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startServer, type TestServer } from './helpers/server.js';
import { client, fileRecord, sha256Of } from './helpers/records.js';

describe('smoke', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => server?.close());

  it('put, upload, get, download', async () => {
    const c = client(server.url, server.key);
    expect((await c.call('GET', '/')).json).toMatchObject({ status: 'running' });
    const put = await c.call('POST', '/put_file', fileRecord());
    expect(put.status).toBe(201);
    expect(put.json).toMatchObject({ upload_required: true, upload_url: `/upload_file/${sha256Of('hello')}` });
    const up = await c.upload(sha256Of('hello'), 'hello', 'laptop', '/home/alice/docs/report.pdf');
    expect(up).toMatchObject({ status: 200, json: { message: 'File uploaded successfully', file_size: 5 } });
    const got = await c.call('GET', `/get_file/${sha256Of('hello')}`);
    expect(got.json).toMatchObject({ has_file_content: true });
    const dl = await c.call('GET', `/files/${sha256Of('hello')}/content`);
    expect(dl.text).toBe('hello');
  });
});

describe('DedupModule.forRootAsync', () => {
  it('takes its options from a factory with injected providers', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { Module } = await import('@nestjs/common');
    const { NestFactory } = await import('@nestjs/core');
    const { FastifyAdapter } = await import('@nestjs/platform-fastify');
    const { DedupModule, configureDedupApp, openContentMount } = await import('../src/index.js');
    const dir = await mkdtemp(join(tmpdir(), 'ufs-async-'));
    const mount = await openContentMount(join(dir, 'content'));
    const SETTINGS = 'SETTINGS';
    @Module({ providers: [{ provide: SETTINGS, useValue: { db: join(dir, 'ufs.db') } }], exports: [SETTINGS] })
    class SettingsModule {}
    const app = await NestFactory.create(
      DedupModule.forRootAsync({
        imports: [SettingsModule],
        inject: [SETTINGS],
        useFactory: (settings: { db: string }) => ({ store: { sqlitePath: settings.db }, content: mount.backend }),
      }),
      new FastifyAdapter({ forceCloseConnections: true }),
      { logger: false },
    );
    try {
      configureDedupApp(app as never, { openApi: false });
      await app.listen(0, '127.0.0.1');
      const health = await (await fetch(`${await app.getUrl()}/health`)).json();
      expect(health).toMatchObject({ status: 'healthy', database: { type: 'sqlite', status: 'connected' } });
    } finally {
      await app.close();
      await mount.dispose();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
