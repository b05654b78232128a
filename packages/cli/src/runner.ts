/** What `main` needs once it is past `ufs --version`: oclif and the one-line error rules (see lazy.ts). */
export { run } from '@oclif/core';
export { asUfsError, details, exitCodeFor, oneLine } from './errors.js';
export { debugOn } from './base-command.js';
export { quietKnownWarnings } from './warnings.js';
