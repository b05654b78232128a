import { invalidInput, notAFolder } from '../errors.js';
import { backendFor, guard, siteOf } from './access.js';
import { statNode } from './stat.js';
import type { StorageNode } from './storage-node.js';
import type { UrlOptions } from './types.js';
import { refuseReservedMetadata } from './write.js';

/**
 * A URL that serves the node: a presigned GET when the backend can sign (S3, GCS, Azure), else its public URL
 * (`baseUrl` on local/http). UNSUPPORTED when the mount has neither.
 */
export async function urlOf(node: StorageNode, options: UrlOptions = {}): Promise<string> {
  if (node.versionId !== undefined)
    throw invalidInput(siteOf(node), 'url', node.path, 'URLs of past versions are not supported');
  const backend = node.mount.backend();
  const caps = backend.capabilities;
  const wantsPublic = options.public === true || !(caps.presignGet && backend.presignGet);
  if (wantsPublic && caps.publicUrl && backend.publicUrl) {
    const publicUrl = backend.publicUrl.bind(backend);
    return guard(node, 'url', async () => publicUrl(node.path));
  }
  const signer = backendFor(node, 'url', 'read', 'presignGet', 'presignGet');
  // A backend whose links have one lifetime (Dropbox: 4 hours) is asked for that one when none is given.
  return guard(node, 'url', () =>
    signer.presignGet!(node.path, {
      expiresIn: options.expiresIn ?? signer.capabilities.presignFixedSeconds ?? 3600,
      disposition: options.disposition,
      contentType: options.contentType,
    }),
  );
}

/** A presigned PUT URL through which a client can upload the node's content. */
export async function uploadUrlOf(node: StorageNode, options: UrlOptions = {}): Promise<string> {
  if (node.folderOnly) throw notAFolder(siteOf(node), 'uploadUrl', node.path, false);
  const backend = backendFor(node, 'uploadUrl', 'write', 'presignPut', 'presignPut');
  return guard(node, 'uploadUrl', () =>
    backend.presignPut!(node.path, { expiresIn: options.expiresIn ?? 3600, contentType: options.contentType }),
  );
}

/** User metadata of the node (empty when there is none or the backend keeps none). */
export async function metadataOf(node: StorageNode): Promise<Record<string, string>> {
  return { ...((await statNode(node)).metadata ?? {}) };
}

/** Replaces the node's user metadata (content untouched), where the backend supports it. */
export async function setMetadataOf(node: StorageNode, metadata: Record<string, string>): Promise<void> {
  refuseReservedMetadata(node, 'setMetadata', metadata);
  const backend = backendFor(node, 'setMetadata', 'write', 'metadata', 'setMetadata');
  await guard(node, 'setMetadata', () => backend.setMetadata!(node.path, metadata));
}
