import { loadProvider } from '../src/index.js';
import { HARNESSES } from './fakes/index.js';
import { providerContract } from './contract/provider-contract.js';

// Every HTTP provider against its local server; catbox falls back to 0x0, the others to catbox.
for (const [id, start] of Object.entries(HARNESSES)) {
  const { info } = await loadProvider(id);
  providerContract(info, start, id === 'catbox' ? HARNESSES['0x0']! : HARNESSES.catbox!);
}
