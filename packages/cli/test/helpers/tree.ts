import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Makes the folder `root` holding these files (relative path → content). */
export async function writeTree(root: string, layout: Record<string, string>): Promise<string> {
  await mkdir(root, { recursive: true });
  for (const [path, content] of Object.entries(layout)) {
    await mkdir(join(root, path, '..'), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

/** The files below a local folder (relative path → content), in path order. */
export async function readTree(root: string): Promise<Record<string, string>> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const paths = entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  const out: Record<string, string> = {};
  for (const full of paths.sort()) out[full.slice(root.length + 1)] = await readFile(full, 'utf8');
  return out;
}
