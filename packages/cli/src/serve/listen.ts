import { UfsError, toUfsError } from '@org/core';
import type { DedupApp } from '@org/server';

/** `host:port` as people write it (`[::1]:8000` for an IPv6 address). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Why the server could not listen, in one line naming the address. A port in use is UNEXPECTED (exit 70), as in
 * apps/api; a port that needs privileges is PERMISSION_DENIED (77); an address this machine does not have is
 * CONFIG_INVALID (78).
 */
export function listenError(err: unknown, host: string, port: number): UfsError {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `[ufs] serve: cannot listen on ${hostPort(host, port)}`;
  const context = { operation: 'listen', path: hostPort(host, port) };
  switch (errno) {
    case 'EADDRINUSE':
      return new UfsError(
        'UNEXPECTED',
        `${where}: the address is already in use (another server listens there; choose another --port)`,
        { cause: err, context, retryable: false },
      );
    case 'EACCES':
    case 'EPERM':
      return new UfsError('PERMISSION_DENIED', `${where}: permission denied (ports below 1024 need privileges)`, {
        cause: err,
        context,
      });
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new UfsError('CONFIG_INVALID', `${where}: this machine has no such address (check --host)`, {
        cause: err,
        context,
      });
    default: {
      const error = toUfsError(err);
      return new UfsError(error.code, `${where}: ${error.message.replace(/^\[ufs\]\s*/, '')}`, { cause: err, context });
    }
  }
}

/**
 * Starts listening through Fastify itself rather than Nest's `app.listen`, which logs a failed listen on its own
 * (a `[Nest] … ERROR` line before ufs's): a failure is one UfsError naming the address (see listenError).
 */
export async function listen(app: DedupApp, host: string, port: number): Promise<void> {
  try {
    await app.getHttpAdapter().getInstance().listen({ port, host });
  } catch (err) {
    throw listenError(err, host, port);
  }
}
