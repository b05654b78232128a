import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { FakeService, corrupter, send } from './base.js';

/**
 * A fault-injecting reverse proxy in front of a real S3 server (radosgw): requests are forwarded unchanged (Host
 * included, so SigV4 signatures stay valid); uploads (`PUT`/`POST`) go through the fake's fault switches first, and
 * object downloads are corrupted when switched on. The S3 provider's endpoint points here.
 */
export function s3Proxy(target: string): FakeService {
  const upstream = new URL(target);
  const fake: FakeService = new FakeService('s3-proxy', async (req, res) => {
    if ((req.method === 'PUT' || req.method === 'POST') && (await fake.intercept(req, res))) return;
    await new Promise<void>((resolve) => {
      const forward = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          const body =
            req.method === 'GET' && fake.corrupting && answer.statusCode === 200 ? answer.pipe(corrupter()) : answer;
          pipeline(body, res).then(resolve, () => resolve());
        },
      );
      forward.on('error', (err) => {
        send(res, 502, `proxy: ${err.message}`);
        resolve();
      });
      req.pipe(forward);
    });
  });
  return fake;
}
