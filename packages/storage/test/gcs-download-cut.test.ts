// A GCS download whose connection the server closes plainly (a FIN) before the last byte of its Content-Length fails
// at once with UNAVAILABLE saying how far it got, with the default timeoutMs (60 s): the GCS SDK's HTTP client never
// reports the short body, the backend watches the HTTP response itself. Real sockets: the local GCS fake behind a
// proxy that closes each connection after 3 MiB.
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, it } from '@jest/globals';
import { startGcsFixture } from './fakes/gcs-fixture.js';
import { readAll, rejectsWith } from './helpers.js';
import { cuttingProxy, settlesWithin } from './net-faults.js';

const MiB = 1024 * 1024;
const fixture = await startGcsFixture();
const { base, create } = fixture;
const proxy = await cuttingProxy(Number(new URL(fixture.fake.endpoint).port), 3 * MiB, 'close');
const big = randomBytes(12 * MiB);
const direct = await create({ ...base, bucket: 'ufs-plain' });
await direct.write('cut/big.bin', Readable.from([big]), { size: big.length });
// No timeoutMs: the default (60 s) applies, far longer than what these tests allow.
const proxied = await create({ ...base, bucket: 'ufs-plain', apiEndpoint: proxy.endpoint });

afterAll(async () => {
  await proxy.close();
  await fixture.close();
}, 30_000);

describe('a gcs download cut by a plain close', () => {
  it('fails at once with UNAVAILABLE: connection closed after N of M bytes', async () => {
    const reading = readAll(await proxied.read('cut/big.bin'));
    expect(await settlesWithin(10_000, reading)).toBeLessThan(10_000);
    const error = await rejectsWith(reading, 'UNAVAILABLE');
    expect(error.message).toMatch(
      new RegExp(
        `^\\[ufs\\] \\[gcs\\] read "gcs-test:cut/big\\.bin": the connection closed after \\d+ of ${big.length} bytes$`,
      ),
    );
    const got = Number(/after (\d+) of/.exec(error.message)![1]);
    expect(got).toBeGreaterThan(0);
    expect(got).toBeLessThan(big.length);
    expect(error.retryable).toBe(true);
    expect(proxy.cuts).toBeGreaterThan(0);
  }, 30_000);

  it('a ranged read too, counting against the range', async () => {
    const reading = readAll(await proxied.read('cut/big.bin', { start: 1024, end: 10 * MiB }));
    expect(await settlesWithin(10_000, reading)).toBeLessThan(10_000);
    const error = await rejectsWith(reading, 'UNAVAILABLE');
    expect(error.message).toMatch(new RegExp(`the connection closed after \\d+ of ${10 * MiB - 1024 + 1} bytes$`));
  }, 30_000);

  it('a download that is not cut still ends normally through the same proxy', async () => {
    await direct.write('cut/small.bin', Readable.from([big.subarray(0, MiB)]), { size: MiB });
    expect((await readAll(await proxied.read('cut/small.bin'))).equals(big.subarray(0, MiB))).toBe(true);
  }, 30_000);
});
