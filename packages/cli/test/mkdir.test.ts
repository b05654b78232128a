// mkdir's "use -p" hint is decided by the storage error's fields (NOT_FOUND with context.missing), not its wording.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UfsError } from '@org/core';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { suggestParents } from '../src/commands/mkdir.js';
import { sandbox, ufs } from './helpers/ufs.js';

let box: Awaited<ReturnType<typeof sandbox>>;
let env: Record<string, string>;
let root: string;

beforeAll(async () => {
  box = await sandbox();
  env = box.env;
  root = join(box.dir, 'work');
  await mkdir(root, { recursive: true });
});
afterAll(() => box.cleanup());

describe('ufs mkdir of a nested folder without -p', () => {
  it('says to use -p and exits with the NOT_FOUND status; --json names the missing folder', async () => {
    const run = await ufs(['mkdir', 'parent-gone/child'], { env, cwd: root });
    expect(run.status).toBe(66);
    expect(run.stderr.trim()).toBe(
      '[ufs] [local] mkdir "parent-gone/child": the parent folder does not exist (use -p to create it)',
    );
    expect(existsSync(join(root, 'parent-gone'))).toBe(false);
    const json = await ufs(['mkdir', '--json', 'parent-gone/child'], { env, cwd: root });
    expect(json.status).toBe(66);
    expect(json.json<Array<{ error: { code: string; context: Record<string, unknown> } }>>()[0]!.error).toMatchObject({
      code: 'NOT_FOUND',
      context: { operation: 'mkdir', path: join(root, 'parent-gone/child'), missing: join(root, 'parent-gone') },
    });
    const parents = await ufs(['mkdir', '-p', 'parent-gone/child'], { env, cwd: root });
    expect(parents.status).toBe(0);
    expect(existsSync(join(root, 'parent-gone/child'))).toBe(true);
  });

  it('another NOT_FOUND (an unknown mount, whatever its name) gets no hint', async () => {
    const run = await ufs(['mkdir', 'parent:x'], { env, cwd: root });
    expect(run.status).toBe(66);
    expect(run.stderr).toMatch(/^\[ufs\] unknown mount "parent"/);
    expect(run.stderr).not.toContain('-p');
  });
});

describe('suggestParents (pure logic)', () => {
  const context = { operation: 'mkdir', path: 'm:a/b' };

  it('decides on the code and context.missing, not on what the message says', () => {
    // A NOT_FOUND whose text speaks of a parent but that says nothing is missing below it: left alone.
    const other = new UfsError('NOT_FOUND', '[ufs] [m] mkdir "parent/b": the mount\'s bucket is gone', { context });
    expect(suggestParents(other)).toBe(other);
    // The structured field, whatever the wording: the hint, in place of the API's.
    const missing = new UfsError('NOT_FOUND', '[ufs] [m] mkdir "a/b": no folder "a" (use { parents: true })', {
      context: { ...context, missing: 'a' },
    });
    const hinted = suggestParents(missing);
    expect(hinted.message).toBe('[ufs] [m] mkdir "a/b": no folder "a" (use -p to create it)');
    expect(hinted.context).toEqual({ ...context, missing: 'a' });
    // Another code with the field is left alone too.
    const denied = new UfsError('PERMISSION_DENIED', '[ufs] [m] mkdir "a/b": refused', {
      context: { ...context, missing: 'a' },
    });
    expect(suggestParents(denied)).toBe(denied);
  });
});
