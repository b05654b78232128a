import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ufsFailure } from '@org/core/testing';
import { fileSource, loadProvider, uploadFile, type UploadFileOptions } from '../src/index.js';
import { escapeControl, excerpt } from '../src/http/service-text.js';
import { HARNESSES, type Harness } from './fakes/index.js';
import { FAST_RETRY, randomFile, tempDir } from './helpers.js';

// What a service says is shown safe: an answer's body reaches error messages (and so the terminal) with its control
// characters escaped, and a body that is not text is summarised, not dumped. Real HTTP: a raw-PUT server of this
// test (temp.sh's protocol: PUT /<name>, the URL as text) and the temp.sh fake for the verification download.

const HOSTILE = 'bad \x1b[31mRED\x1b[0m \x1b]0;PWNED-TITLE\x07 \x1b[2J done';
/** Any control character (C0, DEL, C1) but the line breaks of the messages' own lists: none may reach a message. */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

let server: Server;
let base: string;
/** How the raw-PUT server answers, once it has read the body. */
let answer: (res: ServerResponse) => void = (res) => res.end('unset');
let tempsh: Harness;
let dir: string;
let cleanup: () => Promise<void>;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    req.on('end', () => answer(res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  tempsh = await HARNESSES.tempsh!();
  ({ dir, cleanup } = await tempDir());
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await Promise.all([tempsh.stop(), cleanup()]);
});
afterEach(() => tempsh.fake.reset());

const opts = (env: Record<string, string>, extra: UploadFileOptions = {}): UploadFileOptions => ({
  providers: ['tempsh'],
  env,
  retry: FAST_RETRY,
  maxAttempts: 1,
  signal: AbortSignal.timeout(15_000),
  ...extra,
});

describe('an error answer with terminal escapes', () => {
  it('shows them escaped in the provider error and in the upload failure (which the CLI prints)', async () => {
    answer = (res) => {
      res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(HOSTILE);
    };
    const file = await randomFile(dir, 'r.bin', 1000);
    const tempshProvider = await loadProvider('tempsh');
    const direct = await ufsFailure(
      tempshProvider.upload(await fileSource(file.path), { env: { UFS_TEMPSH_URL: base } }),
    );
    expect(direct.code).toBe('INVALID_INPUT'); // a 4xx
    expect(direct.message).not.toMatch(CONTROL);
    expect(direct.message).toContain(
      'HTTP 400: bad \\u001b[31mRED\\u001b[0m \\u001b]0;PWNED-TITLE\\u0007 \\u001b[2J done',
    );

    const viaUpload = await ufsFailure(uploadFile(file.path, opts({ UFS_TEMPSH_URL: base }, { verify: false })));
    expect(viaUpload.message).not.toMatch(CONTROL);
    expect(viaUpload.message).toContain('\\u001b[31mRED');
    // The per-provider report (the CLI's "tempsh: failed:" note) too.
    const failures = (viaUpload.context as { failures?: Array<{ reason: string }> }).failures ?? [];
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) expect(failure.reason).not.toMatch(CONTROL);
  });

  it('a 2xx without a URL shows the body escaped, and binary summarised', async () => {
    const file = await randomFile(dir, 'nourl.bin', 1000);
    answer = (res) => res.end(`no url here \x1b]0;TITLE\x07\x9b2J`);
    const escaped = await ufsFailure(uploadFile(file.path, opts({ UFS_TEMPSH_URL: base }, { verify: false })));
    expect(escaped.message).toContain('holds no URL: "no url here \\u001b]0;TITLE\\u0007\\u009b2J"');
    expect(escaped.message).not.toMatch(CONTROL);

    answer = (res) => res.end(randomBytes(300));
    const binary = await ufsFailure(uploadFile(file.path, opts({ UFS_TEMPSH_URL: base }, { verify: false })));
    expect(binary.message).toContain('holds no URL: (binary data)');
    expect(binary.message).not.toMatch(CONTROL);
    expect(binary.message).not.toContain('\ufffd');
  });
});

describe('a verification answer that is not text', () => {
  it('a 206 with the file bytes is summarised as "N bytes of binary", not dumped', async () => {
    const file = await randomFile(dir, 'partial.bin', 200);
    tempsh.fake.answerDownloads((res, stored) => {
      res.writeHead(206, { 'content-range': `bytes 0-199/200`, 'content-type': 'application/octet-stream' });
      res.end(file.bytes);
      void stored;
    });
    const error = await ufsFailure(uploadFile(file.path, opts(tempsh.env)));
    expect(error.message).toContain('HTTP 206: (200 bytes of binary)');
    expect(error.message).not.toMatch(CONTROL);
    expect(error.message).not.toContain('\ufffd');
  });

  it('a text answer of the download keeps its words, escaped', async () => {
    const file = await randomFile(dir, 'gone.bin', 200);
    tempsh.fake.answerDownloads((res) => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not\there \x1b[2J any more');
    });
    const error = await ufsFailure(uploadFile(file.path, opts(tempsh.env)));
    expect(error.message).toContain('HTTP 404: not here \\u001b[2J any more');
  });
});

describe('excerpt (pure)', () => {
  it('collapses whitespace, escapes the other control characters as JSON.stringify does, cuts long text', () => {
    expect(excerpt('  a\r\n\tb  ')).toBe('a b');
    expect(excerpt('a\x00b')).toBe('(binary data)'); // decoded text with NUL
    expect(excerpt(Buffer.from('colour \x1b[31mred\x1b[0m, del \x7f, bell \x07'))).toBe(
      'colour \\u001b[31mred\\u001b[0m, del \\u007f, bell \\u0007',
    );
    expect(excerpt('é'.repeat(300), 5)).toBe('ééééé…');
    expect(escapeControl('\x1b[0m\u0085')).toBe('\\u001b[0m\\u0085');
  });

  it('binary: NUL, not UTF-8, or mostly control bytes; text cut inside a character is still text', () => {
    expect(excerpt(Buffer.from([0x41, 0x00, 0x42]))).toBe('(3 bytes of binary)');
    expect(excerpt(Buffer.from([0xff, 0xfe, 0x41]))).toBe('(3 bytes of binary)');
    expect(excerpt(Buffer.from([1, 2, 3, 4, 0x41]))).toBe('(5 bytes of binary)');
    expect(excerpt(Buffer.from([1]))).toBe('(1 byte of binary)');
    const cut = Buffer.from('ok é').subarray(0, 4); // the é cut after its first byte, as a read limit may
    expect(excerpt(cut)).toBe('ok');
    expect(excerpt(Buffer.alloc(4096, 1), 200, true)).toBe('(at least 4096 bytes of binary)');
  });
});
