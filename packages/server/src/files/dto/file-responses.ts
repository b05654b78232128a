/**
 * OpenAPI 3.0 schemas of the answers of the file routes (the record schemas themselves are components, see openapi.ts);
 * a value that may be null is `nullable: true`, not a 3.1 type list.
 */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** 200 answer of GET /files. */
export const fileListSchema = {
  type: 'object',
  required: ['items', 'next_cursor'],
  properties: {
    items: { type: 'array', items: ref('FileMetadataResponse') },
    next_cursor: {
      type: 'string',
      nullable: true,
      description: 'pass as `cursor` for the next page; null on the last',
    },
  },
};

/** 200 answer of POST /put_files. */
export const putFilesResponseSchema = {
  type: 'object',
  required: ['results', 'upload_required', 'catalogue_revisions'],
  properties: {
    results: {
      type: 'array',
      description: 'one per record, in the order sent',
      items: {
        type: 'object',
        required: ['_id', 'hostname', 'filepath', 'sha256', 'upload_required', 'upload_url'],
        properties: {
          _id: { type: 'string' },
          hostname: { type: 'string' },
          filepath: { type: 'string' },
          sha256: { type: 'string' },
          upload_required: { type: 'boolean' },
          upload_url: { type: 'string', nullable: true },
        },
      },
    },
    upload_required: { type: 'array', items: { type: 'string' }, description: 'the hashes to upload, once each' },
    catalogue_revisions: {
      type: 'object',
      description:
        'ufs only: for each hostname of the batch, how this batch moved its catalogue revision (GET /catalogue' +
        '?hostname=). `before`: the revision this batch found, or null when the server cannot say that no other ' +
        'write of that host came in between; `after`: the one it left. A client that remembers `before` may ' +
        "remember `after` instead; any other value means another client wrote that host's records meanwhile.",
      additionalProperties: {
        type: 'object',
        required: ['before', 'after'],
        properties: { before: { type: ['string', 'null'] }, after: { type: 'string' } },
      },
    },
  },
};

/** `{message}` answers (deletions, revocations). */
export const messageSchema = {
  type: 'object',
  required: ['message'],
  properties: { message: { type: 'string' } },
};
