import { UfsError } from '@org/core';
import { z } from 'zod';
import { defineBackend } from '../backend-definition.js';

// Placeholder until the base64 backend lands: configuring a mount of this protocol fails clearly.
export default defineBackend({
  protocol: 'base64',
  description: 'base64 (not implemented yet)',
  options: z.object({}).passthrough(),
  create: () => {
    throw new UfsError('UNSUPPORTED', '[ufs] [base64] this protocol is not implemented yet');
  },
});
