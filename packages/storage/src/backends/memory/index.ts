import { z } from 'zod';
import { defineBackend } from '../../backend-definition.js';
import { MemoryBackend } from './backend.js';

export { MemoryBackend } from './backend.js';

/**
 * `memory`: files held in this process (tests, caches, scratch). `memory://` as a URL;
 * `memory://?versioning=true` keeps versions.
 */
export default defineBackend({
  protocol: 'memory',
  description: 'files held in memory by this process',
  options: z.strictObject({ versioning: z.boolean().optional() }),
  create: (options, context) => new MemoryBackend({ versioning: options.versioning, mountName: context.mountName }),
  fromUrl: (url) => {
    const versioning = url.searchParams.get('versioning');
    return versioning === null ? {} : { versioning: versioning === '' || versioning === 'true' || versioning === '1' };
  },
});
