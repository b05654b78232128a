import { loadProvider } from '../src/index.js';
import { HARNESSES } from './fakes/index.js';
import { mountHarness } from './fakes/mount-harness.js';
import { providerContract } from './contract/provider-contract.js';

// The mount provider publishing into an S3 mount on a real radosgw, behind a fault-injecting proxy (so every fault
// reaches @org/storage's S3 backend as a real HTTP answer), falling back to catbox's fake. Cases that do not apply:
// - "2xx without a URL": storage answers a write with an outcome, never a URL; the URL comes from the mount
//   (node.url), so there is no service answer that could lack one.
// - "over the size limit": the limit is the mount's (5 TiB on S3, the disk for local), so `info.maxSize` is unset.
const { info } = await loadProvider('mount');
providerContract(info, mountHarness, HARNESSES.catbox!, { answersWithoutUrl: false });
