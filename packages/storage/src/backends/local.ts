import { UfsError } from '@org/core';
import { z } from 'zod';
import { defineBackend } from '../backend-definition.js';

// Placeholder until the local backend lands: configuring a mount of this protocol fails clearly.
export default defineBackend({
  protocol: 'local',
  description: 'local (not implemented yet)',
  options: z.object({}).passthrough(),
  create: () => {
    throw new UfsError('UNSUPPORTED', '[ufs] [local] this protocol is not implemented yet');
  },
});
