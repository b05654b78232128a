import { expect, it } from '@jest/globals';
import { fileMetadataSchema } from '@org/core/dedup-schema';
import type { ContentRecord, MetadataStore } from '../../src/index.js';
import { fileRecord, sha256Of } from '../helpers/records.js';

const meta = (o: Parameters<typeof fileRecord>[0] = {}) => fileMetadataSchema.parse(fileRecord(o));
const content = (sha256: string, o: Partial<ContentRecord> = {}): ContentRecord => ({
  sha256,
  size: 5,
  state: 'present',
  version: 1,
  uploaded_at: new Date().toISOString(),
  lease_until: null,
  verified_at: null,
  ...o,
});

/**
 * The contract of recordsWithoutContent (GET /catalogue's `records_without_content`), run by every store: the count
 * of a host's records whose content the store does not hold, as put_file answers `upload_required`, through every
 * write that changes it. `second`: another connection to the same data, when the store has one.
 */
export function contentGapsCases(get: () => { store: MetadataStore; second?: MetadataStore }): void {
  it('records without content: per host, down as content arrives, up with new records and removed content', async () => {
    const { store, second } = get();
    const other = second ?? store;
    const [h, g] = ['gaps-h', 'gaps-g'];
    const counts = async () => [await store.recordsWithoutContent(h), await other.recordsWithoutContent(g)];
    const [x, y, z] = [sha256Of('gaps-x'), sha256Of('gaps-y'), sha256Of('gaps-z')];
    expect(await counts()).toEqual([0, 0]);
    const empty = { sha256: sha256Of(''), file_size: 0 };
    await store.upsertFiles(
      [
        meta({ hostname: h, filepath: '/a', sha256: x }),
        meta({ hostname: h, filepath: '/b', sha256: x }),
        meta({ hostname: h, filepath: '/c', sha256: y }),
        // The empty content is always held; a symlink record is one of it.
        meta({ hostname: h, filepath: '/empty', ...empty }),
        meta({ hostname: h, filepath: '/link', is_symlink: true, link_target: '/a', ...empty }),
        meta({ hostname: g, filepath: '/a', sha256: x }),
      ],
      new Date(),
    );
    expect(await counts()).toEqual([3, 1]);
    // The same records sent again (a scan without its memory): counted once.
    await other.upsertFiles([meta({ hostname: h, filepath: '/a', sha256: x, file_mtime: 7 })], new Date());
    expect(await counts()).toEqual([3, 1]);
    // Content arrives: every record of it, on every host, is held.
    expect(await store.insertContentIfAbsent(content(x))).toBe(true);
    expect(await counts()).toEqual([1, 0]);
    // A record moved to held content, then to content not held.
    await store.upsertFile(meta({ hostname: h, filepath: '/c', sha256: x }), new Date());
    expect(await counts()).toEqual([0, 0]);
    await other.upsertFile(meta({ hostname: h, filepath: '/c', sha256: z }), new Date());
    expect(await counts()).toEqual([1, 0]);
    // Content of another size than the record's is not its content (put_file asks for its upload).
    await store.upsertFile(meta({ hostname: h, filepath: '/d', sha256: x, file_size: 6 }), new Date());
    expect(await counts()).toEqual([2, 0]);
    await store.deleteFile((await store.findFile(h, '/d'))!.id);
    expect(await counts()).toEqual([1, 0]);
    // Content being deleted (a gc claim) is not held; released, it is again; deleted, it is gone.
    const claimed = await store.updateContentIf(x, 1, { state: 'deleting', lease_until: new Date().toISOString() });
    expect(claimed?.state).toBe('deleting');
    expect(await counts()).toEqual([3, 1]);
    const released = await other.updateContentIf(x, claimed!.version, { state: 'present', lease_until: null });
    expect(await counts()).toEqual([1, 0]);
    // A change of the content record that leaves it held (verify's date) changes nothing.
    const verified = await store.updateContentIf(x, released!.version, { verified_at: new Date().toISOString() });
    expect(await counts()).toEqual([1, 0]);
    const again = await store.updateContentIf(x, verified!.version, { state: 'deleting' });
    expect(await store.deleteContentIf(x, again!.version)).toBe(true);
    expect(await counts()).toEqual([3, 1]);
    // A record deleted while its content is missing is no longer counted; content arriving as a claim is not held.
    await other.deleteFile((await store.findFile(h, '/a'))!.id);
    expect(await counts()).toEqual([2, 1]);
    expect(await store.insertContentIfAbsent(content(z, { state: 'deleting' }))).toBe(true);
    expect(await counts()).toEqual([2, 1]);
    expect(await store.recordsWithoutContent('gaps-never-written')).toBe(0);
  });
}
