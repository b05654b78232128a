import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { quickstart } from '../examples/quickstart.js';

describe('README example', () => {
  it('is examples/quickstart.ts verbatim, and it runs', async () => {
    const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
    const example = await readFile(new URL('../examples/quickstart.ts', import.meta.url), 'utf8');
    expect(readme).toContain(example.trim());
    const dir = await mkdtemp(join(tmpdir(), 'ufs-readme-'));
    try {
      const result = await quickstart(dir);
      expect(result.putFile).toMatchObject({ upload_required: true, hostname: 'laptop' });
      expect(result.upload).toMatchObject({ message: 'File uploaded successfully', file_size: 10 });
      expect(result.content).toBe('hello ufs\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
