import { Worker } from 'node:worker_threads';
import { UfsError } from '@org/core';

// Runs in a worker thread (CommonJS eval, so it loads the same way from src under tsx and from dist): one SHA-256 per
// job, fed from the job's shared memory; every `update` hands its slot back when hashed.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const jobs = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'start') jobs.set(m.id, { hash: createHash('sha256'), memory: new Uint8Array(m.memory) });
  else if (m.op === 'update') {
    const job = jobs.get(m.id);
    if (!job) return;
    job.hash.update(job.memory.subarray(m.offset, m.offset + m.length));
    parentPort.postMessage({ id: m.id, slot: m.slot });
  } else if (m.op === 'end') {
    const job = jobs.get(m.id);
    if (!job) return;
    jobs.delete(m.id);
    parentPort.postMessage({ id: m.id, digest: job.hash.digest('hex') });
  } else if (m.op === 'drop') jobs.delete(m.id);
});
`;

/** Bytes copied into shared memory per message to the worker, and how many such slots one job may have in flight. */
const SLOT_BYTES = 256 * 1024;
const SLOTS = 4;

type Reply = { id: number; slot: number; digest?: undefined } | { id: number; digest: string; slot?: undefined };

interface JobHandlers {
  freed(slot: number): void;
  done(digest: string): void;
  failed(err: Error): void;
}

/**
 * One worker thread that computes SHA-256 for large uploads, so the event loop only copies bytes (about a tenth of the
 * cost of hashing them) and reading the socket, hashing and writing the file run on three threads at once. Started
 * when first used, holds the process open only while it has work, and is started again if it dies.
 */
class HashWorker {
  private worker: Worker | undefined;
  private readonly jobs = new Map<number, JobHandlers>();
  private nextId = 1;

  private current(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.on('message', (reply: Reply) => {
      const job = this.jobs.get(reply.id);
      if (!job) return;
      if (reply.digest !== undefined) {
        this.forget(reply.id);
        job.done(reply.digest);
      } else job.freed(reply.slot);
    });
    const lost = (reason: string) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const error = new UfsError('UNEXPECTED', `[ufs] the hashing thread stopped (${reason})`);
      for (const job of this.jobs.values()) job.failed(error);
      this.jobs.clear();
    };
    worker.on('error', (err) => lost(err.message));
    worker.on('exit', (code) => lost(`exit code ${code}`));
    // Unreferenced after the listeners (adding a 'message' listener references it again); referenced again while
    // jobs are in flight, so a process waiting only for a digest does not exit before it arrives.
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private forget(id: number): boolean {
    const known = this.jobs.delete(id);
    if (known && this.jobs.size === 0) this.worker?.unref();
    return known;
  }

  start(handlers: JobHandlers, memory: SharedArrayBuffer): number {
    const id = this.nextId++;
    const worker = this.current();
    this.jobs.set(id, handlers);
    if (this.jobs.size === 1) worker.ref();
    worker.postMessage({ op: 'start', id, memory });
    return id;
  }

  update(id: number, slot: number, offset: number, length: number): void {
    this.worker?.postMessage({ op: 'update', id, slot, offset, length });
  }

  end(id: number): void {
    this.worker?.postMessage({ op: 'end', id });
  }

  drop(id: number): void {
    if (this.forget(id)) this.worker?.postMessage({ op: 'drop', id });
  }
}

const shared = new HashWorker();

/**
 * A SHA-256 computed on the hashing thread: `update` copies bytes into one of the job's shared slots and calls back
 * at once, or once the worker has handed a slot back when all are in flight (that is the backpressure).
 * `digest()` resolves when every byte given has been hashed.
 */
export class OffThreadSha256 {
  private readonly memory = new SharedArrayBuffer(SLOT_BYTES * SLOTS);
  private readonly view = Buffer.from(this.memory);
  private readonly free: number[] = Array.from({ length: SLOTS }, (_, i) => i);
  private readonly id: number;
  private slot = -1;
  private filled = 0;
  private waiting: (() => void) | undefined;
  private failure: Error | undefined;
  private result: Promise<string> | undefined;
  private settle: { resolve(digest: string): void; reject(err: Error): void } | undefined;

  constructor() {
    this.id = shared.start(
      {
        freed: (slot) => {
          this.free.push(slot);
          const resume = this.waiting;
          this.waiting = undefined;
          resume?.();
        },
        done: (digest) => this.settle?.resolve(digest),
        failed: (err) => {
          this.failure = err;
          this.settle?.reject(err);
          const resume = this.waiting;
          this.waiting = undefined;
          resume?.();
        },
      },
      this.memory,
    );
  }

  /** Copies `bytes` for hashing; `callback` runs when they are taken (with an error if the hashing thread failed). */
  update(bytes: Uint8Array, callback: (err?: Error) => void): void {
    let at = 0;
    const step = (): void => {
      while (at < bytes.byteLength) {
        if (this.failure) return callback(this.failure);
        if (this.slot < 0) {
          const slot = this.free.shift();
          if (slot === undefined) {
            this.waiting = step;
            return;
          }
          this.slot = slot;
        }
        const n = Math.min(SLOT_BYTES - this.filled, bytes.byteLength - at);
        this.view.set(bytes.subarray(at, at + n), this.slot * SLOT_BYTES + this.filled);
        this.filled += n;
        at += n;
        if (this.filled === SLOT_BYTES) this.send();
      }
      callback(this.failure);
    };
    step();
  }

  /** The hex digest of everything given to `update`; call once, after the last `update` has called back. */
  digest(): Promise<string> {
    this.result ??= new Promise<string>((resolve, reject) => {
      if (this.failure) return reject(this.failure);
      this.settle = { resolve, reject };
      if (this.filled > 0) this.send();
      shared.end(this.id);
    });
    return this.result;
  }

  /** Forgets the job (an upload that failed part way). */
  abandon(): void {
    shared.drop(this.id);
  }

  private send(): void {
    shared.update(this.id, this.slot, this.slot * SLOT_BYTES, this.filled);
    this.slot = -1;
    this.filled = 0;
  }
}
