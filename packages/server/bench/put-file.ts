import autocannon from 'autocannon';
import { record, type BenchServer } from './harness.js';

export interface PutFileResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  total: number;
}

/** put_file throughput and latency at `connections` concurrent clients (each request a different record). */
export async function benchPutFile(server: BenchServer, connections = 64, seconds = 10): Promise<PutFileResult> {
  let i = 0;
  const result = await autocannon({
    url: `${server.url}/put_file`,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': server.key },
        setupRequest: (req) => ({ ...req, body: JSON.stringify(record(i++ % 200_000)) }),
      },
    ],
  });
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    total: result.requests.total,
  };
}
