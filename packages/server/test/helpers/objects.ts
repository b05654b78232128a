import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** Every file under a folder, as `/`-separated relative paths. */
export async function filesUnder(root: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(dir: string): Promise<void> {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else out.push(relative(root, path).split('\\').join('/'));
    }
  }
  await walk(root);
  return out.sort();
}

/** Content objects (the `aa/aabb…` layout) under a local content folder. */
export async function contentObjects(root: string): Promise<string[]> {
  return (await filesUnder(root)).filter((p) => /^[0-9a-f]{2}\/[0-9a-f]{64}$/.test(p));
}
