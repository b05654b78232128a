import { describeBackendContract } from '@org/storage-testing';
import memory from '../src/backends/memory/index.js';

const context = { mountName: 'contract', env: {} };
const plain = await memory.create(memory.options.parse({}), context);
const versioned = await memory.create(memory.options.parse({ versioning: true }), context);

describeBackendContract('memory', { backend: plain });
describeBackendContract('memory (versioning)', { backend: versioned });
