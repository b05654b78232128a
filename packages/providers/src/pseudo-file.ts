import { open, statfs } from 'node:fs/promises';

/**
 * File systems whose files are made up by the kernel as they are read: their size (0 on procfs, the page size on
 * sysfs) is not the size of their content, so a file of theirs cannot be uploaded as it stands (the size sent and
 * verified would be wrong). The `f_type` magic numbers of Linux (linux/magic.h).
 */
const PSEUDO_FILE_SYSTEMS = new Map<number, string>([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x73636673, 'securityfs'],
  [0x62656570, 'configfs'],
]);

/**
 * Why the regular file at `path` (of `size` bytes by stat) cannot be trusted to hold `size` bytes, or undefined: it
 * is on a pseudo file system (`proc`, `sysfs`, …), or its stat size is 0 but a read gives bytes. Such a file is
 * uploaded from a copy (a spool), whose size is the real one. Errors (no statfs on this platform) mean "no".
 */
export async function pseudoFileReason(path: string, size: number | bigint): Promise<string | undefined> {
  try {
    const type = PSEUDO_FILE_SYSTEMS.get(Number((await statfs(path)).type));
    if (type !== undefined) return `it is on the ${type} pseudo file system, whose sizes are not the content's`;
  } catch {
    // not supported here (or gone since the stat): the read below, or the upload, tells
  }
  if (Number(size) !== 0) return undefined;
  try {
    const handle = await open(path, 'r');
    try {
      const { bytesRead } = await handle.read(Buffer.alloc(1), 0, 1, 0);
      return bytesRead > 0 ? 'its size is 0 bytes, yet reading it gives bytes' : undefined;
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
}
