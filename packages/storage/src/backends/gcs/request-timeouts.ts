import { randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Storage } from '@google-cloud/storage';
import { limitIdleRequest, type SocketTimeouts } from '../../util/socket-timeouts.js';
import { DOWNLOAD_HEADER } from './read-stream.js';

/**
 * The header that names the client (the Storage object of a mount) a request comes from, so that its requests can be
 * found (see `limitIdleRequests`). GCS ignores headers it does not know.
 */
const CLIENT_HEADER = 'x-ufs-client';
/** The limits of the clients built by the backend, by the id their requests carry. */
const clients = new Map<string, SocketTimeouts>();
let subscribed = false;

function onRequestStart(message: unknown): void {
  const { request } = message as { request?: ClientRequest };
  const header = request?.getHeader?.(CLIENT_HEADER);
  const id = Array.isArray(header) ? header[0] : header;
  const timeouts = typeof id === 'string' ? clients.get(id) : undefined;
  if (!request || !timeouts) return;
  // A download has its own idle limit, which counts only while its consumer waits (read-stream.ts).
  if (request.getHeader(DOWNLOAD_HEADER) !== undefined) return;
  // Until the response begins, the SDK's `timeout` (connectTimeoutMs + timeoutMs) is the limit.
  request.once('response', () => limitIdleRequest(request, timeouts));
}

type Interceptor = Storage['interceptors'][number];

/**
 * Gives the requests of `storage` the idle limit `timeoutMs` once their response has begun, until it has ended:
 * the SDK's HTTP client (node-fetch 2) makes its own connections, and its `timeout` lets a reply whose body stalls
 * keep its socket (and the process) alive after failing. The requests carry a header with the client's id, and
 * Node's `http.client.request.start` diagnostics channel hands them over; a stalled one has its socket destroyed,
 * and fails with the words of a TIMEOUT (`no answer from <endpoint> for N ms (timeoutMs)`).
 */
export function limitIdleRequests(storage: Pick<Storage, 'interceptors'>, timeouts: SocketTimeouts): void {
  if (timeouts.timeoutMs === 0) return;
  if (!subscribed) {
    subscribe('http.client.request.start', onRequestStart);
    subscribed = true;
  }
  const id = randomUUID();
  clients.set(id, timeouts);
  storage.interceptors.push({
    request: (options) => {
      const headers = { ...(options.headers as Record<string, string> | undefined), [CLIENT_HEADER]: id };
      return { ...options, headers } as ReturnType<Interceptor['request']>;
    },
  });
}
