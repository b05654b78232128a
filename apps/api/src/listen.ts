import { UfsError, toUfsError } from '@org/core';
import type { DedupApp } from '@org/server';

/** `host:port` as people write it (`[::1]:8000` for an IPv6 address). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Why the API could not listen, as one line naming the address and the variable to change: a port in use is
 * UNEXPECTED (70, as `ufs serve`), a port that needs privileges PERMISSION_DENIED (77), an address this machine does
 * not have or a name that does not resolve CONFIG_INVALID (78), a name server that does not answer UNAVAILABLE (69).
 */
export function listenError(err: unknown, host: string, port: number): UfsError {
  const errno = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `[ufs] start the API: cannot listen on ${hostPort(host, port)}`;
  const options = { cause: err, context: { operation: 'listen', path: hostPort(host, port) } };
  switch (errno) {
    case 'EADDRINUSE':
      return new UfsError(
        'UNEXPECTED',
        `${where}: the address is already in use (EADDRINUSE: another server listens there; choose another UFS_PORT)`,
        { ...options, retryable: false },
      );
    case 'EACCES':
    case 'EPERM':
      return new UfsError(
        'PERMISSION_DENIED',
        `${where}: permission denied (ports below 1024 need privileges; choose another UFS_PORT)`,
        options,
      );
    case 'EADDRNOTAVAIL':
      return new UfsError(
        'CONFIG_INVALID',
        `[ufs] invalid API configuration: UFS_HOST "${host}" is not an address of this machine`,
        options,
      );
    case 'ENOTFOUND':
      return new UfsError(
        'CONFIG_INVALID',
        `[ufs] invalid API configuration: UFS_HOST "${host}" is not a name this machine resolves`,
        options,
      );
    case 'EAI_AGAIN':
      return new UfsError(
        'UNAVAILABLE',
        `${where}: the name server did not answer for UFS_HOST "${host}" (try again, or give an IP address)`,
        { ...options, retryable: true },
      );
    default: {
      const error = toUfsError(err);
      return new UfsError(error.code, `${where}: ${error.message.replace(/^\[ufs\]\s*/, '')}`, options);
    }
  }
}

/**
 * Listens through Fastify itself rather than Nest's `app.listen`, which logs a failed listen on its own (a
 * `[Nest] … ERROR` line before the API's): a failure is one UfsError (see listenError). Returns the URL.
 */
export async function listen(app: DedupApp, host: string, port: number): Promise<string> {
  try {
    await app.getHttpAdapter().getInstance().listen({ port, host });
  } catch (err) {
    throw listenError(err, host, port);
  }
  const address = app.getHttpServer().address();
  const actual = typeof address === 'object' && address ? address.port : port;
  // Every address: the URL a client on this machine uses.
  const local = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${hostPort(local, actual)}`;
}
