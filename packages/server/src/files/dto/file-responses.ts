/** OpenAPI schemas of the answers of the file routes (the record schemas themselves are components, see openapi.ts). */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** 200 answer of GET /files. */
export const fileListSchema = {
  type: 'object',
  required: ['items', 'next_cursor'],
  properties: {
    items: { type: 'array', items: ref('FileMetadataResponse') },
    next_cursor: { type: ['string', 'null'], description: 'pass as `cursor` for the next page; null on the last' },
  },
};

/** 200 answer of POST /put_files. */
export const putFilesResponseSchema = {
  type: 'object',
  required: ['results', 'upload_required'],
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
          upload_url: { type: ['string', 'null'] },
        },
      },
    },
    upload_required: { type: 'array', items: { type: 'string' }, description: 'the hashes to upload, once each' },
  },
};

/** `{message}` answers (deletions, revocations). */
export const messageSchema = {
  type: 'object',
  required: ['message'],
  properties: { message: { type: 'string' } },
};
