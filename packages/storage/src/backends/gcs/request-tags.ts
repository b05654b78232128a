import { randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest, IncomingMessage } from 'node:http';
import type { File } from '@google-cloud/storage';

/**
 * The GCS SDK makes its own HTTP requests (node-fetch over its own connections): to reach one of them, its requests
 * carry a header with an id (GCS ignores headers it does not know), added through the SDK object's request
 * interceptors, and Node's `http.client.*` diagnostics channels hand the requests (and responses) over.
 */
type Interceptor = File['interceptors'][number];

/** Names the client (the Storage object of a mount) a request comes from (see request-timeouts.ts). */
export const CLIENT_HEADER = 'x-ufs-client';
/** Names a download's requests (see `watchDownload`). */
export const DOWNLOAD_HEADER = 'x-ufs-download';

/** A fresh id for one of those headers. */
export const newTagId = (): string => randomUUID();

/** Adds `headers` to every request of a GCS SDK object (a Storage, a File) through its request interceptors. */
export function tagRequests(object: { interceptors: Interceptor[] }, headers: Record<string, string>): void {
  object.interceptors.push({
    request: (options) => {
      const merged = { ...(options.headers as Record<string, string> | undefined), ...headers };
      return { ...options, headers: merged } as ReturnType<Interceptor['request']>;
    },
  });
}

/** The id a request carries in `header`, if any. */
export function tagOf(request: ClientRequest | undefined, header: string): string | undefined {
  const value = request?.getHeader?.(header);
  const id = Array.isArray(value) ? value[0] : value;
  return typeof id === 'string' ? id : undefined;
}

const subscribed = new Set<string>();

/** Subscribes `handler` to a diagnostics channel once per process (the same handler each time). */
export function subscribeOnce(channel: string, handler: (message: unknown) => void): void {
  if (subscribed.has(channel)) return;
  subscribe(channel, handler);
  subscribed.add(channel);
}

/** Downloads under way: what to call with the HTTP response of the request carrying their id. */
const watching = new Map<string, (response: IncomingMessage) => void>();

function onClientResponse(message: unknown): void {
  const { request, response } = message as { request?: ClientRequest; response?: IncomingMessage };
  const id = tagOf(request, DOWNLOAD_HEADER);
  if (id !== undefined && response) watching.get(id)?.(response);
}

/** A download's HTTP responses (one per attempt), found by the header its requests carry. */
export interface DownloadWatch {
  /** Headers to add to the download's requests (`tagRequests`). */
  headers: Record<string, string>;
  /** Calls `listener` with each HTTP response of the download, until `stop`. */
  listen(listener: (response: IncomingMessage) => void): void;
  stop(): void;
}

/**
 * Finds the HTTP responses of a download: the SDK's node-fetch never reports a body cut short by a plain close (FIN)
 * of the connection, but Node's response knows (`complete` is false when it closes). `http.client.response.finish`
 * hands the response over.
 */
export function watchDownload(): DownloadWatch {
  subscribeOnce('http.client.response.finish', onClientResponse);
  const id = newTagId();
  return {
    headers: { [DOWNLOAD_HEADER]: id },
    listen: (listener) => void watching.set(id, listener),
    stop: () => void watching.delete(id),
  };
}
