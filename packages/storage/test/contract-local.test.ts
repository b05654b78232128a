import { describeBackendContract } from '@org/storage-testing';
import local from '../src/backends/local/index.js';
import { tempDir } from './helpers.js';

const dir = await tempDir('ufs-contract-local-');
const backend = await local.create(local.options.parse({ root: dir.path, baseUrl: 'http://127.0.0.1:9/files' }), {
  mountName: 'contract',
  env: {},
});

describeBackendContract('local', { backend, cleanup: dir.cleanup });
