import type { ClientRequest } from 'node:http';
import type { Storage } from '@google-cloud/storage';
import { limitIdleRequest, type SocketTimeouts } from '../../util/socket-timeouts.js';
import { CLIENT_HEADER, DOWNLOAD_HEADER, newTagId, subscribeOnce, tagOf, tagRequests } from './request-tags.js';

/** The limits of the clients built by the backend, by the id their requests carry (request-tags.ts). */
const clients = new Map<string, SocketTimeouts>();

function onRequestStart(message: unknown): void {
  const { request } = message as { request?: ClientRequest };
  const id = tagOf(request, CLIENT_HEADER);
  const timeouts = id === undefined ? undefined : clients.get(id);
  if (!request || !timeouts) return;
  // A download has its own idle limit, which counts only while its consumer waits (read-stream.ts).
  if (tagOf(request, DOWNLOAD_HEADER) !== undefined) return;
  // Until the response begins, the SDK's `timeout` (connectTimeoutMs + timeoutMs) is the limit.
  request.once('response', () => limitIdleRequest(request, timeouts));
}

/**
 * Gives the requests of `storage` the idle limit `timeoutMs` once their response has begun, until it has ended:
 * the SDK's HTTP client (node-fetch 2) makes its own connections, and its `timeout` lets a reply whose body stalls
 * keep its socket (and the process) alive after failing. The requests carry the client's id (request-tags.ts), and
 * Node's `http.client.request.start` diagnostics channel hands them over; a stalled one has its socket destroyed,
 * and fails with the words of a TIMEOUT (`no answer from <endpoint> for N ms (timeoutMs)`).
 */
export function limitIdleRequests(storage: Pick<Storage, 'interceptors'>, timeouts: SocketTimeouts): void {
  if (timeouts.timeoutMs === 0) return;
  subscribeOnce('http.client.request.start', onRequestStart);
  const id = newTagId();
  clients.set(id, timeouts);
  tagRequests(storage, { [CLIENT_HEADER]: id });
}
