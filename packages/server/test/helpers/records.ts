import { createHash } from 'node:crypto';
import type { FileMetadataInput } from '@org/core';

export const sha256Of = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

/** A valid put_file body. */
export function fileRecord(overrides: Partial<FileMetadataInput> = {}): FileMetadataInput {
  return {
    filepath: '/home/alice/docs/report.pdf',
    hostname: 'laptop',
    ip_address: '10.0.0.5',
    sha256: sha256Of('hello'),
    file_size: 5,
    file_mode: 0o100644,
    file_uid: 1000,
    file_gid: 1000,
    file_mtime: 1_700_000_000.5,
    file_atime: 1_700_000_001.25,
    file_ctime: 1_700_000_000.5,
    ...overrides,
  };
}

export interface CallResult {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test responses are inspected loosely
  json: any;
}

export interface TestClient {
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<CallResult>;
  upload(
    sha256: string,
    data: string | Uint8Array,
    hostname: string,
    filepath: string,
  ): Promise<{ status: number; json: Record<string, unknown> }>;
}

/** fetch with the API key and JSON helpers. */
export function client(url: string, key: string): TestClient {
  const call = async (
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<CallResult> => {
    const response = await fetch(`${url}${path}`, {
      method,
      headers: { 'x-api-key': key, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  };
  const upload = async (sha256: string, data: string | Uint8Array, hostname: string, filepath: string) => {
    const form = new FormData();
    form.append('file', new Blob([typeof data === 'string' ? data : new Uint8Array(data)]), 'f.bin');
    const q = new URLSearchParams({ hostname, filepath });
    const response = await fetch(`${url}/upload_file/${sha256}?${q}`, {
      method: 'POST',
      headers: { 'x-api-key': key },
      body: form,
    });
    return { status: response.status, json: (await response.json()) as Record<string, unknown> };
  };
  return { call, upload };
}
