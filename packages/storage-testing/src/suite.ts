import { afterAll, describe } from '@jest/globals';
import { newRunId, uniqueFolder, type ContractContext, type ContractOptions, type ContractSetup } from './context.js';
import { deleteMkdirCases } from './cases/delete-mkdir.js';
import { listCases } from './cases/list.js';
import { modifiedCases } from './cases/modified.js';
import { capabilityTruthCases, optionalCases } from './cases/optional.js';
import { rangeCases } from './cases/range.js';
import { readWriteCases } from './cases/read-write.js';

/**
 * Registers the backend contract suite. Call it at the top level of a test file with a backend that is already
 * created (use top-level await), so that tests are chosen by the backend's real capabilities: a capability the
 * backend declares is tested to work; one it does not declare is tested to be refused.
 *
 * ```ts
 * const backend = await s3.create({ bucket, endpoint, ... }, { mountName: 'contract', env: process.env });
 * describeBackendContract('s3', { backend, cleanup: () => removeBucket() });
 * ```
 */
export function describeBackendContract(name: string, setup: ContractSetup, options: ContractOptions = {}): void {
  const runId = newRunId();
  const context: ContractContext = {
    backend: setup.backend,
    fixtures: setup.fixtures,
    options: { largeBytes: options.largeBytes ?? 24 * 1024 * 1024, timeoutMs: options.timeoutMs ?? 60_000 },
    folder: () => uniqueFolder(runId),
  };
  describe(`backend contract: ${name}`, () => {
    afterAll(async () => {
      const { backend } = setup;
      try {
        if (backend.capabilities.delete && backend.capabilities.write) {
          await backend.delete(`contract-${runId}`, { recursive: true }).catch(() => undefined);
        }
      } finally {
        await backend.dispose?.();
        await setup.cleanup?.();
      }
    }, context.options.timeoutMs);
    readWriteCases(context);
    rangeCases(context);
    listCases(context);
    deleteMkdirCases(context);
    modifiedCases(context);
    optionalCases(context);
    capabilityTruthCases(context);
  });
}
