// An SSH connection that drops while a file is uploaded (the real sshd behind a TCP relay that cuts it, as when the
// session's sshd process is killed): the write fails at once with UNAVAILABLE instead of never settling. After the
// drop ssh2 answers the requests then pending but silently drops later ones (the cleanup's close and unlink), so a
// call on the dead channel must fail by itself.
import { mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { copyNode } from '../../src/copy/index.js';
import { StorageManager } from '../../src/index.js';
import { sftpEndpoint, tcpProxy, type TcpProxy } from '../services/sftp.js';

const MiB = 1024 * 1024;
const sshd = await sftpEndpoint();
const base = realpathSync(mkdtempSync(join(tmpdir(), 'ufs-sftp-drop-')));
const big = join(base, 'big.bin');
writeFileSync(big, Buffer.alloc(64 * MiB, 5));
afterAll(async () => {
  rmSync(base, { recursive: true, force: true });
  await sshd.stop();
}, 30_000);

let proxy: TcpProxy;
let storage: StorageManager;
beforeEach(async () => {
  proxy = await tcpProxy(sshd.port);
  storage = new StorageManager();
  await storage.configure([
    { name: 'loc', protocol: 'local', root: base },
    {
      name: 'sftp',
      protocol: 'sftp',
      host: '127.0.0.1',
      port: proxy.port,
      username: sshd.username,
      privateKeyPath: sshd.privateKeyPath,
      hostFingerprint: sshd.hostFingerprint,
      root: join(base, 'remote'),
    },
  ]);
  rmSync(join(base, 'remote'), { recursive: true, force: true });
  await storage.node('loc:remote/keep.txt').writeText('here');
});
afterEach(async () => {
  await storage.dispose();
  await proxy.close();
});

describe('a connection dropped during an upload', () => {
  it('fails the copy with UNAVAILABLE, naming the file, instead of never settling', async () => {
    let dropped = false;
    const copying = copyNode(storage.node('loc:big.bin'), storage.node('sftp:drop.bin'), {
      onProgress: ({ loaded }) => {
        if (loaded > 2 * MiB && !dropped) {
          dropped = true;
          proxy.dropAll();
        }
      },
    });
    const settled = await Promise.race([
      copying,
      new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 15_000).unref()),
    ]);
    expect(dropped).toBe(true);
    expect(settled).not.toBe('hung');
    const summary = settled as Awaited<typeof copying>;
    expect(summary.files).toBe(0);
    expect(summary.errors.map((e) => [e.path, e.error.code])).toEqual([['loc:big.bin', 'UNAVAILABLE']]);
    expect(summary.errors[0]!.error.message).toMatch(/connection/);
    // The next operation runs on a new connection, which first removes the temporary file the lost one left.
    expect(await storage.node('sftp:drop.bin').exists()).toBe(false);
    expect(await storage.node('sftp:keep.txt').readText()).toBe('here');
    expect(readdirSync(join(base, 'remote'))).toEqual(['keep.txt']);
  }, 40_000);
});
