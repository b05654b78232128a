import { loadProvider } from '../src/index.js';
import { HARNESSES } from './fakes/index.js';
import { ufsHarness } from './fakes/ufs-server.js';
import { providerContract } from './contract/provider-contract.js';

// The ufs provider against a REAL dedup server (@org/server, in process) behind a fault-injecting proxy, falling
// back to catbox's fake. "2xx without a URL" is a put_file 2xx that holds no record (the URL is made from the
// record's hash). The case that does not apply: "over the size limit", because the limit is the server's own
// (`maxUploadBytes`, default 10 GiB), not a fixed `info.maxSize`; a 413 from a small limit is in ufs.test.ts.
// The result is a signed URL (`POST /files/{sha256}/share`), so the contract's download sends no header.
const { info } = await loadProvider('ufs');
providerContract(info, ufsHarness, HARNESSES.catbox!);
