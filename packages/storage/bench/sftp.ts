/**
 * Bench 3: the `sftp` backend against OpenSSH's own `sftp` client on one sshd (started here unless UFS_TEST_SFTP_*
 * are set): one large file read (sftp `get` to /dev/null) and written (`put`), best and median of the runs. The
 * baseline is the ratio's denominator: 1.0× means as fast as OpenSSH.
 */
import { execFile } from 'node:child_process';
import { createWriteStream, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ensureServices, stopServices, type ServiceInfo } from '@org/test-services';
import { StorageManager } from '../src/index.js';
import { drain, generated, median, settings } from './harness.js';

async function time(task: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await task();
  return (performance.now() - started) / 1000;
}

/** OpenSSH's client with the same key and host, in batch mode: `commands` on its stdin. */
function openssh(info: ServiceInfo<'sftp'>, commands: string): Promise<unknown> {
  const args = ['-q', '-i', info.privateKeyPath, '-P', String(info.port), '-o', 'StrictHostKeyChecking=no'];
  args.push('-o', 'UserKnownHostsFile=/dev/null', '-b', '-', `${info.username}@${info.host}`);
  return new Promise((resolve, reject) => {
    const child = execFile('sftp', args, (err) => (err ? reject(err) : resolve(undefined)));
    child.stdin!.end(commands);
  });
}

export async function benchSftp(): Promise<string[]> {
  const services = await ensureServices(['sftp']);
  const info = services[0]!.info as ServiceInfo<'sftp'>;
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'ufs-bench-sftp-')));
  const bytes = settings.largeBytes === 0 ? 256 * 1024 * 1024 : Math.min(settings.largeBytes, 512 * 1024 * 1024);
  const source = join(base, 'source.bin');
  await pipeline(generated(bytes), createWriteStream(source));
  const storage = new StorageManager();
  await storage.configure([
    {
      name: 'r',
      protocol: 'sftp',
      host: info.host,
      port: info.port,
      username: info.username,
      privateKeyPath: info.privateKeyPath,
      hostFingerprint: info.hostFingerprint,
      root: base,
    },
  ]);
  const rows: Array<[string, number[], number[]]> = [
    ['read (get)', [], []],
    ['write (put)', [], []],
  ];
  try {
    for (let i = 0; i <= settings.runs; i++) {
      const ours = [
        await time(async () => drain(await storage.node('r:source.bin').openReadStream())),
        await time(() => storage.node('r:ours.bin').write(generated(bytes))),
      ];
      const theirs = [
        await time(() => openssh(info, `get ${source} /dev/null\n`)),
        await time(() => openssh(info, `put ${source} ${join(base, 'theirs.bin')}\n`)),
      ];
      if (i === 0) continue; // warm-up
      rows.forEach((row, k) => {
        row[1].push(ours[k]!);
        row[2].push(theirs[k]!);
      });
    }
  } finally {
    await storage.dispose();
    await stopServices(services);
    rmSync(base, { recursive: true, force: true });
  }
  const mib = bytes / (1024 * 1024);
  console.log(`\nsftp backend vs OpenSSH sftp (${mib} MiB, ${settings.runs} runs; ratio = OpenSSH time / ours)`);
  for (const [label, ours, theirs] of rows) {
    const best = Math.min(...ours);
    const ratio = Math.min(...theirs) / best;
    console.log(
      `  ${label.padEnd(12)} ours ${best.toFixed(2)} s (median ${median(ours).toFixed(2)}), ` +
        `OpenSSH ${Math.min(...theirs).toFixed(2)} s (median ${median(theirs).toFixed(2)}): ${ratio.toFixed(2)}×`,
    );
  }
  return [];
}
