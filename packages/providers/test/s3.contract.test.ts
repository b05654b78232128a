import { loadProvider } from '../src/index.js';
import { HARNESSES } from './fakes/index.js';
import { s3Harness } from './fakes/s3-harness.js';
import { providerContract } from './contract/provider-contract.js';

// The S3 provider against a real radosgw (behind a fault-injecting proxy), falling back to catbox's fake.
// S3 answers a PUT with an ETag, never with a URL: the client makes the URL, so "2xx without URL" does not apply.
const { info } = await loadProvider('s3');
providerContract(info, s3Harness, HARNESSES.catbox!, { answersWithoutUrl: false });
