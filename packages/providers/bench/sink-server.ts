// A local upload sink for the benchmark, run in its own process (so it does not share the event loop or the core
// with the client being measured). It answers like catbox (multipart `POST /user/api.php`, parsed with busboy) and
// like temp.sh (raw `PUT /<name>`), counts the bytes and discards them (disk speed is not what is measured).
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';

const server = createServer((req, res) => {
  const reply = (status: number, text: string) => {
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': String(Buffer.byteLength(text)) });
    res.end(text);
  };
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  if (req.method === 'POST' && req.url === '/user/api.php') {
    let bytes = 0;
    let reqtype = '';
    const parser = busboy({ headers: req.headers });
    parser.on('field', (name, value) => name === 'reqtype' && (reqtype = value));
    parser.on('file', (name, stream) => {
      stream.on('data', (chunk: Buffer) => (bytes += name === 'fileToUpload' ? chunk.byteLength : 0));
    });
    parser.on('close', () =>
      reqtype === 'fileupload' && bytes > 0 ? reply(200, `${base}/sink/${bytes}.bin\n`) : reply(400, 'bad form'),
    );
    parser.on('error', () => reply(400, 'bad form'));
    req.pipe(parser);
    return;
  }
  if (req.method === 'PUT') {
    let bytes = 0;
    req.on('data', (chunk: Buffer) => (bytes += chunk.byteLength));
    req.on('end', () => reply(200, `${base}/sink/${bytes}/${req.url?.slice(1)}`));
    return;
  }
  reply(404, 'not found');
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
