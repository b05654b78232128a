import { UfsError } from '@org/core';
import { z } from 'zod';
import { defineBackend } from '../backend-definition.js';

// Placeholder until the azure backend lands: configuring a mount of this protocol fails clearly.
export default defineBackend({
  protocol: 'azure',
  description: 'azure (not implemented yet)',
  options: z.object({}).passthrough(),
  create: () => {
    throw new UfsError('UNSUPPORTED', '[ufs] [azure] this protocol is not implemented yet');
  },
});
