import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  body: string;
}

/**
 * One TCP connection to the server, written and read byte for byte: for what fetch cannot show (pipelined requests,
 * `Expect: 100-continue` and its interim answer, a body announced but never sent, connection-level errors).
 */
export class RawConnection {
  private buffer = Buffer.alloc(0);
  private wake: (() => void) | undefined;
  /** The server closed the connection (or it failed). */
  closed = false;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake?.();
    });
    const end = () => {
      this.closed = true;
      this.wake?.();
    };
    socket.on('end', end);
    socket.on('close', end);
    socket.on('error', end);
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect({ host: hostname, port: Number(port) }, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (err) => (err ? reject(err) : resolve())));
  }

  /**
   * The next response on the connection (a `100 Continue` counts as one), or null when none is complete within
   * `timeoutMs` or the server closed the connection first. `head`: the response to a HEAD request (no body).
   */
  async response(options: { timeoutMs?: number; head?: boolean } = {}): Promise<RawResponse | null> {
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    for (;;) {
      const parsed = this.parse(options.head ?? false);
      if (parsed) return parsed;
      if (this.closed || Date.now() >= deadline) return null;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
  }

  /** Resolves true when the server closes the connection within `timeoutMs`. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    return this.closed;
  }

  close(): void {
    this.socket.destroy();
  }

  private parse(head: boolean): RawResponse | null {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return null;
    const [statusLine, ...lines] = this.buffer.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(statusLine!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let start = end + 4;
    let body = Buffer.alloc(0);
    if (status >= 200 && !head && status !== 204 && status !== 304) {
      if (headers['transfer-encoding'] === 'chunked') {
        const chunks: Buffer[] = [];
        for (;;) {
          const lineEnd = this.buffer.indexOf('\r\n', start);
          if (lineEnd < 0) return null;
          const size = parseInt(this.buffer.subarray(start, lineEnd).toString('latin1'), 16);
          if (this.buffer.length < lineEnd + 2 + size + 2) return null;
          chunks.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
          start = lineEnd + 2 + size + 2;
          if (size === 0) break;
        }
        body = Buffer.concat(chunks);
      } else {
        const length = Number(headers['content-length'] ?? 0);
        if (this.buffer.length < start + length) return null;
        body = this.buffer.subarray(start, start + length);
        start += length;
      }
    }
    this.buffer = this.buffer.subarray(start);
    return { status, headers, body: body.toString('utf8') };
  }
}

/** The text of one HTTP/1.1 request (headers only unless `body` is given; Host is added). */
export function rawRequest(
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body = '',
): string {
  const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}
