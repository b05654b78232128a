export { describeBackendContract } from './suite.js';
export {
  expectUfsError,
  generated,
  generatedDigest,
  get,
  listAll,
  put,
  readAll,
  type ContractContext,
  type ContractOptions,
  type ContractSetup,
} from './context.js';
