import { UfsError } from '@org/core';
import { z } from 'zod';
import { defineBackend } from '../backend-definition.js';

// Placeholder until the gcs backend lands: configuring a mount of this protocol fails clearly.
export default defineBackend({
  protocol: 'gcs',
  description: 'gcs (not implemented yet)',
  options: z.object({}).passthrough(),
  create: () => {
    throw new UfsError('UNSUPPORTED', '[ufs] [gcs] this protocol is not implemented yet');
  },
});
