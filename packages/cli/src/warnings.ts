/**
 * Process warnings that are noise for a CLI user and are dropped (every other warning is printed as usual):
 * - the AWS SDK's notice that its future versions need Node 22 (ufs supports Node 20.19+ on purpose);
 * - Fastify's note that the dedup server replaces its error handler (it does, deliberately).
 */
const QUIET: ReadonlyArray<(warning: Error & { code?: string }) => boolean> = [
  (w) => w.name === 'NodeVersionSupportWarning' || w.message.startsWith('NodeVersionSupportWarning'),
  (w) => w.code === 'FSTWRN004',
];

export function quietKnownWarnings(): void {
  const listeners = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (QUIET.some((test) => test(warning))) return;
    for (const listener of listeners) listener(warning);
  });
}
