// Every YAML example of docs/backends.md is a valid mount configuration: protocol or URL known, options accepted
// by the backend's schema after `${ENV}` interpolation, and accepted by StorageManager.configure (no request is made).
import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { interpolateEnv, loadBackend, StorageManager } from '../src/index.js';

const DOC = fileURLToPath(new URL('../docs/backends.md', import.meta.url));
const blocks = [...readFileSync(DOC, 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
// Dummy values for every variable (base64, since account keys must be).
const env = new Proxy({} as Record<string, string>, { get: () => 'ZHVtbXlkdW1teQ==' });

type RawMount = { name: string; protocol?: string; url?: string; [key: string]: unknown };

async function validate(mount: RawMount): Promise<void> {
  const raw = interpolateEnv(mount, env) as RawMount;
  const { name: _name, protocol, url, permissions: _p, layers: _l, ...options } = raw;
  const parsedUrl = url ? new URL(url) : undefined;
  const definition = await loadBackend(protocol ?? parsedUrl!.protocol.replace(/:$/, ''));
  const fromUrl = parsedUrl ? definition.fromUrl!(parsedUrl) : {};
  const result = definition.options.safeParse({ ...fromUrl, ...options });
  expect({ mount: raw.name, issues: result.success ? [] : result.error.issues }).toEqual({
    mount: raw.name,
    issues: [],
  });
}

describe('docs/backends.md examples', () => {
  it('has an example for every remote backend', () => {
    const protocols = blocks.flatMap((b) => (parse(b) as RawMount[]).map((m) => m.protocol ?? m.url?.split(':')[0]));
    for (const p of ['s3', 'sftp', 'webdav', 'http', 'data', 'zip', 'dropbox', 'azure', 'gcs'])
      expect(protocols).toContain(p);
  });

  it.each(blocks.map((b, i) => [String(i), b] as const))('example %s validates', async (_i, block) => {
    const mounts = parse(block) as RawMount[];
    expect(Array.isArray(mounts)).toBe(true);
    if (!mounts.some((m) => m.protocol === 'zip')) for (const mount of mounts) await validate(mount);
    // Also configured for real, as a user's file would be (creating a mount makes no request); not those reading a
    // key file of the user's machine at creation (sftp's privateKeyPath).
    const configurable = mounts.filter((m) => m.privateKeyPath === undefined);
    const storage = new StorageManager({ env });
    try {
      await storage.configure(configurable as never);
      expect(storage.mountNames().sort()).toEqual(configurable.map((m) => m.name).sort());
    } finally {
      await storage.dispose();
    }
  });
});
