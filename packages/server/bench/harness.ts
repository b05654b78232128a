import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createBootstrapKey, SqliteStore } from '../src/index.js';

export interface BenchServer {
  url: string;
  key: string;
  dir: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts the server in a child process (so the load generator does not share its event loop). */
export async function startBenchServer(root?: string): Promise<BenchServer> {
  const dir = await mkdtemp(join(root ?? tmpdir(), 'ufs-bench-'));
  const store = new SqliteStore({ path: join(dir, 'ufs.db') });
  const { apiKey } = await createBootstrapKey(store);
  await store.close();
  const script = fileURLToPath(new URL('./serve.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, NODE_ENV: 'production' },
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    child.stdout!.on('data', (d: Buffer) => {
      const m = /listening (\d+)/.exec(d.toString());
      if (m) resolve(Number(m[1]));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    key: apiKey,
    dir,
    child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export function record(i: number, host = 'bench-host') {
  return {
    filepath: `/data/set/${i}/file-${i}.bin`,
    hostname: host,
    ip_address: '10.0.0.9',
    sha256: (i.toString(16).padStart(8, '0') + 'a'.repeat(56)).slice(0, 64),
    file_size: 1000 + i,
    file_mode: 33188,
    file_uid: 1000,
    file_gid: 1000,
    file_mtime: 1_700_000_000 + i,
    file_atime: 1_700_000_000 + i,
    file_ctime: 1_700_000_000 + i,
  };
}
