import yazl from 'yazl';

export interface ZipEntrySpec {
  name: string;
  data?: Buffer;
  /** Deflate (default) or store. */
  compress?: boolean;
  /** An explicit folder entry (`name/`). */
  dir?: boolean;
  mtime?: Date;
}

/** Builds a zip in memory with yazl (test archives are small). */
export async function buildZip(entries: ZipEntrySpec[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const spec of entries) {
    const mtime = spec.mtime ?? new Date('2024-05-06T07:08:10Z');
    if (spec.dir) zip.addEmptyDirectory(spec.name, { mtime });
    else zip.addBuffer(spec.data ?? Buffer.alloc(0), spec.name, { compress: spec.compress ?? true, mtime });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Renames entries by patching bytes (local header and central directory): yazl refuses hostile names such as
 * `../x`, so tests write a same-length placeholder and patch it here.
 */
export function renameEntries(zip: Buffer, renames: Record<string, string>): Buffer {
  const out = Buffer.from(zip);
  for (const [from, to] of Object.entries(renames)) {
    const a = Buffer.from(from);
    const b = Buffer.from(to);
    if (a.length !== b.length) throw new Error(`rename ${from} -> ${to}: lengths differ`);
    let found = 0;
    for (let at = out.indexOf(a); at >= 0; at = out.indexOf(a, at + 1)) {
      b.copy(out, at);
      found += 1;
    }
    if (found !== 2) throw new Error(`rename ${from}: found ${found} copies, expected 2`);
  }
  return out;
}

/** Offset of an entry's central directory header, found by its name. */
function centralHeader(zip: Buffer, name: string): number {
  const bytes = Buffer.from(name);
  for (let at = zip.indexOf(bytes); at >= 0; at = zip.indexOf(bytes, at + 1)) {
    if (at >= 46 && zip.readUInt32LE(at - 46) === 0x02014b50) return at - 46;
  }
  throw new Error(`no central header for ${name}`);
}

/** Sets general-purpose flag bits and/or the compression method of an entry in the central directory. */
export function patchCentral(zip: Buffer, name: string, patch: { flags?: number; method?: number }): Buffer {
  const out = Buffer.from(zip);
  const at = centralHeader(out, name);
  if (patch.flags !== undefined) out.writeUInt16LE(out.readUInt16LE(at + 8) | patch.flags, at + 8);
  if (patch.method !== undefined) out.writeUInt16LE(patch.method, at + 10);
  return out;
}

/** Offset of the first data byte of an entry (after its local header). */
export function dataOffset(zip: Buffer, name: string): number {
  const at = centralHeader(zip, name);
  const local = zip.readUInt32LE(at + 42);
  return local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
}
