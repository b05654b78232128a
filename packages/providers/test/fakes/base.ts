import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';

/** A failure the next upload request gets instead of being served. */
export interface Fault {
  status: number;
  retryAfter?: string;
  body?: string;
}

export interface StoredFile {
  id: string;
  name: string;
  size: number;
  path: string;
  contentType: string;
  downloads: number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

/**
 * An answer that replaces the fake's own, for answers no real service should give (that never end, never come,
 * stall, or redirect): `file` is the one uploaded (an upload's, after its body is stored) or asked for (a
 * download's, undefined when unknown); `url` is its download URL (uploads) or the request's path and query.
 */
export type Answer = (res: ServerResponse, file: StoredFile | undefined, url: string) => Promise<void> | void;

/** Reads and discards a request body (so an early answer never resets the connection). */
export async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  req.resume();
  await new Promise<void>((resolve) => {
    req.once('end', resolve);
    req.once('close', resolve);
    req.once('error', () => resolve());
  });
}

export function send(
  res: ServerResponse,
  status: number,
  body: string | object,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, {
    'content-type': typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

/** Flips the first byte: same size, different bytes (so only a hash comparison notices). */
export function corrupter(): Transform {
  let first = true;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      if (first && chunk.byteLength > 0) {
        first = false;
        const copy = Buffer.from(chunk);
        copy[0] = copy[0]! ^ 0xff;
        callback(null, copy);
      } else callback(null, chunk);
    },
  });
}

/**
 * A local stand-in for a hosting service: an HTTP server on 127.0.0.1 that stores uploaded bytes on disk and
 * serves them back, with switches for fault injection (status codes with Retry-After, answers without a URL,
 * corrupted downloads, slow answers). Each service's fake adds its routes on top.
 */
export class FakeService {
  readonly name: string;
  url = '';
  dir = '';
  /** Upload requests received (served or failed). */
  uploads = 0;
  readonly requests: Array<{ method: string; path: string; headers: IncomingMessage['headers'] }> = [];
  readonly files = new Map<string, StoredFile>();
  /** Text fields of the last form received. */
  lastFields: Record<string, string> = {};
  private server: Server | undefined;
  private faults: Fault[] = [];
  private empties = 0;
  private corrupt = false;
  private delayMs = 0;
  private uploadAnswer: Answer | undefined;
  private downloadAnswer: Answer | undefined;
  private deleteAnswer: Answer | undefined;

  constructor(
    name: string,
    private readonly handler: Handler,
  ) {
    this.name = name;
  }

  async start(): Promise<this> {
    this.dir = await mkdtemp(join(tmpdir(), `ufs-fake-${this.name}-`));
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', this.url);
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname + url.search, headers: req.headers });
      Promise.resolve(this.handler(req, res, url)).catch((err: unknown) => {
        send(res, 500, `fake ${this.name} crashed: ${(err as Error).message}`);
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    await rm(this.dir, { recursive: true, force: true });
  }

  /** The next `times` upload requests answer `status` (with `Retry-After` when given). */
  fail(status: number, options: { retryAfter?: string; body?: string; times?: number } = {}): this {
    for (let i = 0; i < (options.times ?? 1); i++)
      this.faults.push({ status, retryAfter: options.retryAfter, body: options.body });
    return this;
  }

  /** The next `times` uploads succeed with a 2xx that holds no URL. */
  answerWithoutUrl(times = 1): this {
    this.empties += times;
    return this;
  }

  /** Downloads serve different bytes of the same size. */
  corruptDownloads(on = true): this {
    this.corrupt = on;
    return this;
  }

  /** Whether downloads are being corrupted. */
  get corrupting(): boolean {
    return this.corrupt;
  }

  /** Upload requests wait this long before being read. */
  stall(ms: number): this {
    this.delayMs = ms;
    return this;
  }

  /**
   * Upload requests that get through (no fault) are stored, then answered by `answer` instead of the fake's own
   * answer; undefined restores it. Fakes that support it call `answerUpload` (tempsh's does).
   */
  answerUploads(answer: Answer | undefined): this {
    this.uploadAnswer = answer;
    return this;
  }

  /** Downloads (`serve`) are answered by `answer` instead of the stored bytes; undefined restores them. */
  answerDownloads(answer: Answer | undefined): this {
    this.downloadAnswer = answer;
    return this;
  }

  /**
   * Delete requests (after their body is read) are answered by `answer` instead of the fake's own answer, and delete
   * nothing; undefined restores them. Fakes that support it call `answerDelete` (0x0's does).
   */
  answerDeletes(answer: Answer | undefined): this {
    this.deleteAnswer = answer;
    return this;
  }

  /** Answers a delete of `file`: the answer set by `answerDeletes`, else `own` (the fake's delete and answer). */
  async answerDelete(res: ServerResponse, file: StoredFile | undefined, own: () => void): Promise<void> {
    if (this.deleteAnswer) await this.deleteAnswer(res, file, res.req.url ?? '/');
    else own();
  }

  /** Answers a stored upload: the answer set by `answerUploads`, else `own` (the fake's answer with the URL). */
  async answerUpload(res: ServerResponse, file: StoredFile, url: string, own: () => void): Promise<void> {
    if (this.uploadAnswer) await this.uploadAnswer(res, file, url);
    else own();
  }

  reset(): void {
    this.uploadAnswer = undefined;
    this.downloadAnswer = undefined;
    this.deleteAnswer = undefined;
    this.faults = [];
    this.empties = 0;
    this.corrupt = false;
    this.delayMs = 0;
    this.uploads = 0;
    this.requests.length = 0;
  }

  /**
   * Called first by every upload route: counts the request, applies a stall, and answers an injected fault
   * (after reading the body, as a real server would). True when the request was answered here.
   */
  async intercept(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    this.uploads++;
    if (this.delayMs > 0) {
      await new Promise((resolve) => setTimeout(resolve, this.delayMs).unref());
      if (req.destroyed) return true;
    }
    const fault = this.faults.shift();
    if (!fault) return false;
    await drain(req);
    send(
      res,
      fault.status,
      fault.body ?? `fake ${this.name}: injected ${fault.status}`,
      fault.retryAfter ? { 'retry-after': fault.retryAfter } : {},
    );
    return true;
  }

  /** True (once per `answerWithoutUrl`) when this successful upload must answer without a URL. */
  takeEmpty(): boolean {
    if (this.empties === 0) return false;
    this.empties--;
    return true;
  }

  /** Stores a stream on disk under a new id. */
  async store(stream: Readable, name: string, contentType = 'application/octet-stream'): Promise<StoredFile> {
    const id = randomBytes(6).toString('hex');
    const path = join(this.dir, id);
    await pipeline(stream, createWriteStream(path));
    const file: StoredFile = { id, name, size: (await stat(path)).size, path, contentType, downloads: 0 };
    this.files.set(id, file);
    return file;
  }

  /** Serves a stored file (corrupted when switched on, or as `answerDownloads` says); 404 when unknown. */
  async serve(res: ServerResponse, id: string | undefined): Promise<void> {
    const file = id === undefined ? undefined : this.files.get(id);
    if (this.downloadAnswer) return this.downloadAnswer(res, file, res.req.url ?? '/');
    if (!file) return send(res, 404, 'not found');
    file.downloads++;
    res.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.size) });
    const body = createReadStream(file.path);
    await pipeline(this.corrupt ? body.pipe(corrupter()) : body, res).catch(() => undefined);
  }

  /** Total bytes stored. */
  storedBytes(): number {
    let total = 0;
    for (const file of this.files.values()) total += file.size;
    return total;
  }
}
