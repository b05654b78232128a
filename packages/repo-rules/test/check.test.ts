import { afterEach, describe, expect, it } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkRepository } from '../src/index.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

describe('the real repository', () => {
  it('keeps dependencies one way and packages sealed', () => {
    const violations = checkRepository(repoRoot);
    expect(violations.map((v) => v.message)).toEqual([]);
  });
});

/** A throwaway monorepo with the real package names, for proving each rule fires. */
function fixtureRepo(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'ufs-rules-'));
  const manifests: Record<string, object> = {
    'package.json': { name: 'root', private: true, devDependencies: { jest: '*' } },
    'packages/core/package.json': {
      name: '@org/core',
      dependencies: { zod: '*' },
      exports: { '.': './dist/index.js' },
    },
    'packages/storage/package.json': {
      name: '@org/storage',
      dependencies: { '@org/core': 'workspace:*', '@aws-sdk/client-s3': '*' },
      exports: { '.': './dist/index.js' },
    },
    'packages/providers/package.json': {
      name: '@org/providers',
      dependencies: { '@org/core': 'workspace:*', '@org/storage': 'workspace:*' },
    },
  };
  for (const [path, manifest] of Object.entries(manifests)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), JSON.stringify(manifest));
  }
  // The entry points LAZY_LOADED checks; a test may replace them.
  const entries = { 'packages/core/src/index.ts': '', 'packages/storage/src/index.ts': '' };
  for (const [path, text] of Object.entries({ ...entries, ...files })) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

function check(files: Record<string, string>) {
  const root = fixtureRepo(files);
  roots.push(root);
  return checkRepository(root);
}

describe('each rule fires when broken', () => {
  it('passes a clean fixture', () => {
    expect(
      check({
        'packages/core/src/index.ts': "import { readFile } from 'node:fs/promises';\nexport { readFile };",
        'packages/core/src/schema.ts': "import { z } from 'zod';\nexport { z };",
        'packages/storage/src/index.ts':
          "import { UfsError } from '@org/core';\nexport { UfsError };\nexport const s3 = () => import('./s3.js');",
        'packages/storage/src/s3.ts': "import { S3Client } from '@aws-sdk/client-s3';\nexport { S3Client };",
      }),
    ).toEqual([]);
  });

  it('@org/core importing an SDK', () => {
    const v = check({
      'packages/core/src/s3.ts': "import { S3Client } from '@aws-sdk/client-s3';\nexport { S3Client };",
    });
    expect(v.map((x) => x.rule)).toContain('core-external');
    expect(v[0]?.message).toContain('@org/core must not import "@aws-sdk/client-s3"');
  });

  it('@org/core importing a framework through a dynamic import', () => {
    const v = check({ 'packages/core/src/nest.ts': "export const load = () => import('@nestjs/core');" });
    expect(v.map((x) => x.rule)).toContain('core-external');
  });

  it('a dependency pointing the wrong way', () => {
    const v = check({ 'packages/core/src/bad.ts': "export * from '@org/storage';" });
    expect(v.map((x) => x.rule)).toContain('graph');
  });

  it('reaching into another package’s src or dist', () => {
    const v = check({
      'packages/providers/src/a.ts': "export * from '@org/storage/src/registry.js';",
      'packages/providers/src/b.ts': "export * from '@org/core/dist/index.js';",
    });
    expect(v.filter((x) => x.rule === 'internals')).toHaveLength(2);
  });

  it('a relative import that leaves the package', () => {
    const v = check({ 'packages/providers/src/a.ts': "export * from '../../storage/src/index.js';" });
    expect(v.map((x) => x.rule)).toEqual(['escape']);
  });

  it('an import the manifest does not declare', () => {
    const v = check({ 'packages/storage/src/a.ts': "import express from 'express';\nexport { express };" });
    expect(v.map((x) => x.rule)).toEqual(['undeclared']);
  });

  it('a manifest dependency against the graph', () => {
    const root = fixtureRepo({});
    roots.push(root);
    writeFileSync(
      join(root, 'packages/core/package.json'),
      JSON.stringify({ name: '@org/core', dependencies: { '@org/storage': 'workspace:*' } }),
    );
    expect(checkRepository(root).map((x) => x.rule)).toEqual(['manifest']);
  });
});

describe('entry points that must not load a package when imported (LAZY_LOADED)', () => {
  it('names the package and the chain of modules that loads it', () => {
    const v = check({
      'packages/core/src/index.ts': "export * from './a.js';",
      'packages/core/src/a.ts': "import { z } from 'zod';\nexport const schema = z.string();",
    });
    expect(v.map((x) => [x.rule, x.specifier, x.file])).toEqual([['eager-load', 'zod', 'packages/core/src/a.ts']]);
    expect(v[0]?.message).toContain('importing @org/core loads "zod" (src/index.ts → src/a.ts)');
  });

  it('follows re-exports and side-effect imports; not type-only imports or import() in a function', () => {
    const v = check({
      'packages/storage/src/index.ts': [
        "import type { Document } from 'yaml';",
        "export type { Change } from 'diff';",
        "export const zip = () => import('yazl');",
        "import 'webdav';",
        "export { S3Client } from '@aws-sdk/client-s3';",
        'export type Doc = Document;',
      ].join('\n'),
    });
    expect(v.filter((x) => x.rule === 'eager-load').map((x) => x.specifier)).toEqual(['webdav', '@aws-sdk/client-s3']);
  });

  it('an entry point whose source cannot be found', () => {
    const root = fixtureRepo({});
    roots.push(root);
    rmSync(join(root, 'packages/storage/src/index.ts'));
    const v = checkRepository(root);
    expect(v.map((x) => [x.rule, x.specifier])).toEqual([['eager-load', '.']]);
    expect(v[0]?.message).toContain('@org/storage: no source file found for this entry point');
  });
});

describe('subpath imports', () => {
  it('accepts "#…" imports declared in the package\'s imports map and refuses others', () => {
    const root = fixtureRepo({
      'packages/storage/src/a.ts': "export * from '#internal/x.js';\nexport * from '#nowhere';",
    });
    roots.push(root);
    writeFileSync(
      join(root, 'packages/storage/package.json'),
      JSON.stringify({
        name: '@org/storage',
        dependencies: { '@org/core': 'workspace:*' },
        imports: { '#internal/*': './dist/*' },
      }),
    );
    const v = checkRepository(root);
    expect(v.map((x) => x.specifier)).toEqual(['#nowhere']);
  });
});
