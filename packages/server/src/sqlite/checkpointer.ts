import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// Runs in a worker thread (CommonJS eval): its own connection checkpoints the WAL every `intervalMs`.
const WORKER_SOURCE = `
const { workerData, parentPort } = require('node:worker_threads');
const { accessSync, constants } = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.path);
db.pragma('busy_timeout = 5000');
// A checkpoint writes the database file and its progress into the mapped WAL index (-shm): skipped while either
// cannot be written (an immutable -shm would fault the process with SIGBUS; see StoreFiles).
const writable = () => [workerData.path, workerData.path + '-shm'].every((file) => {
  try { accessSync(file, constants.W_OK); return true; } catch (err) { return err.code === 'ENOENT'; }
});
const timer = setInterval(() => {
  if (!writable()) return;
  try { db.pragma('wal_checkpoint(PASSIVE)'); } catch (err) { parentPort.postMessage(String(err && err.message)); }
}, workerData.intervalMs);
parentPort.on('message', (m) => { if (m === 'stop') { clearInterval(timer); if (writable()) { try { db.pragma('wal_checkpoint(PASSIVE)'); } catch {} } db.close(); process.exit(0); } });
`;

/**
 * Moves WAL checkpoints (which fsync the database file) off the event loop: SQLite's automatic checkpoint would run
 * inside whichever request commits past the threshold and stall every other request for the fsync.
 */
export class Checkpointer {
  private readonly worker: Worker;

  constructor(path: string, intervalMs = 1000, onError: (message: string) => void = () => undefined) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { path, driver, intervalMs } });
    this.worker.on('message', (m: string) => onError(m));
    this.worker.on('error', (err) => onError(err.message));
    this.worker.unref();
  }

  async stop(): Promise<void> {
    // Keep the process alive until the worker has made its last checkpoint and closed its connection.
    this.worker.ref();
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage('stop');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 2000)))]);
    clearTimeout(timer);
    await this.worker.terminate();
  }
}
