import { UfsError } from '@org/core';
import { z } from 'zod';
import { defineBackend } from '../backend-definition.js';

// Placeholder until the s3 backend lands: configuring a mount of this protocol fails clearly.
export default defineBackend({
  protocol: 's3',
  description: 's3 (not implemented yet)',
  options: z.object({}).passthrough(),
  create: () => {
    throw new UfsError('UNSUPPORTED', '[ufs] [s3] this protocol is not implemented yet');
  },
});
