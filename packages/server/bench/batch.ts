import { record, type BenchServer } from './harness.js';

/** Records per second through the batch form of put_file (`POST /put_files`), `concurrency` requests in flight. */
export async function benchBatch(server: BenchServer, batchSize = 1000, batches = 100, concurrency = 4) {
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < batches) {
      const b = next++;
      const files = Array.from({ length: batchSize }, (_, j) => record(b * batchSize + j, 'batch-host'));
      const res = await fetch(`${server.url}/put_files`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': server.key },
        body: JSON.stringify({ files }),
      });
      if (res.status !== 200) throw new Error(`batch ${b}: HTTP ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  return { records: batchSize * batches, seconds, recordsPerSecond: (batchSize * batches) / seconds };
}
