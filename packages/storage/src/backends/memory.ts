import { UfsError } from '@org/core';
import { z } from 'zod';
import { defineBackend } from '../backend-definition.js';

// Placeholder until the memory backend lands: configuring a mount of this protocol fails clearly.
export default defineBackend({
  protocol: 'memory',
  description: 'memory (not implemented yet)',
  options: z.object({}).passthrough(),
  create: () => {
    throw new UfsError('UNSUPPORTED', '[ufs] [memory] this protocol is not implemented yet');
  },
});
