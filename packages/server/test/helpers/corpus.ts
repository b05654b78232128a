import { HOSTILE_PATHS } from '@org/core/testing';
import { fileRecord, sha256Of } from './records.js';

/** One malformed request: every one must get a 4xx with a clear JSON error. */
export interface BadRequest {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  /** A JSON value (sent as JSON) or a raw string/bytes body. */
  json?: unknown;
  raw?: string | Uint8Array;
  /** Use this key instead of the valid admin key (`null`: no key header). */
  key?: string | null;
}

const FIELDS = Object.keys(fileRecord()) as (keyof ReturnType<typeof fileRecord>)[];
const WRONG_VALUES: unknown[] = [null, 'text', -1, 1.5, true, [], {}, '', 2 ** 60];
const BAD_HASHES = [
  '',
  'abc',
  sha256Of('x').toUpperCase(),
  sha256Of('x').slice(0, 63),
  sha256Of('x') + '0',
  'g'.repeat(64),
  ' '.repeat(64),
  `${sha256Of('x').slice(0, 60)}%00ab`,
  '../../../../etc/passwd',
  '%2e%2e%2f%2e%2e',
];
const TRAVERSAL_FILEPATHS = [
  '../etc/passwd',
  '/home/../../etc/shadow',
  '/a/./b',
  'a/..',
  '..\\windows\\system32',
  'C:\\Users\\..\\..\\x',
  '/ok/path\u0000.txt',
  '.',
  '..',
];

export function badRequestCorpus(ctx: { revokedKey: string; readOnlyKey: string }): BadRequest[] {
  const good = fileRecord();
  const out: BadRequest[] = [];
  const put = (name: string, json: unknown) =>
    out.push({ name: `put_file ${name}`, method: 'POST', path: '/put_file', json });

  for (const field of FIELDS) {
    if (field === 'is_symlink' || field === 'link_target') continue;
    const { [field]: _dropped, ...rest } = good;
    put(`missing ${field}`, rest);
  }
  for (const field of FIELDS) {
    for (const value of WRONG_VALUES) {
      const valid =
        // A target without is_symlink, or is_symlink without a target, is a contradiction (400) like a wrong type.
        (field === 'link_target' && value === null) ||
        ((field === 'filepath' || field === 'hostname') && value === 'text') ||
        (field === 'ip_address' && (value === 'text' || value === '')) ||
        (['file_mtime', 'file_atime', 'file_ctime'].includes(field) && typeof value === 'number') ||
        (['file_size', 'file_mode', 'file_uid', 'file_gid'].includes(field) &&
          value === 2 ** 60 &&
          field !== 'file_size');
      if (!valid) put(`${field}=${JSON.stringify(value)}`, { ...good, [field]: value });
    }
  }
  for (const hash of BAD_HASHES) put(`sha256=${JSON.stringify(hash)}`, { ...good, sha256: hash });
  for (const filepath of TRAVERSAL_FILEPATHS) put(`filepath=${JSON.stringify(filepath)}`, { ...good, filepath });
  put('hostname with NUL', { ...good, hostname: 'a\u0000b' });
  put('hostname with a tab', { ...good, hostname: 'a\tb' });
  put('hostname with a newline', { ...good, hostname: 'a\nb' });
  put('filepath too long', { ...good, filepath: '/' + 'a'.repeat(5000) });
  put('hostname too long', { ...good, hostname: 'h'.repeat(300) });
  for (const body of [null, [], 'string', 42, true, [good]]) put(`body ${JSON.stringify(body)}`, body);
  for (const raw of ['{', '{"filepath":', 'not json', '{"a":1}}', '\u0000', '']) {
    out.push({
      name: `put_file invalid JSON ${JSON.stringify(raw)}`,
      method: 'POST',
      path: '/put_file',
      raw,
      headers: { 'content-type': 'application/json' },
    });
  }
  for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded', 'image/png']) {
    out.push({
      name: `put_file as ${type}`,
      method: 'POST',
      path: '/put_file',
      raw: JSON.stringify(good),
      headers: { 'content-type': type },
    });
  }
  out.push({
    name: 'put_file multipart',
    method: 'POST',
    path: '/put_file',
    raw: 'x',
    headers: { 'content-type': 'multipart/form-data; boundary=x' },
  });
  out.push({
    name: 'put_file huge body',
    method: 'POST',
    path: '/put_file',
    raw: JSON.stringify({ ...good, pad: 'x'.repeat(200_000) }),
    headers: { 'content-type': 'application/json' },
  });

  out.push({ name: 'put_files not a list', method: 'POST', path: '/put_files', json: { files: 'x' } });
  out.push({ name: 'put_files empty', method: 'POST', path: '/put_files', json: { files: [] } });
  out.push({ name: 'put_files bad item', method: 'POST', path: '/put_files', json: { files: [{}] } });
  out.push({
    name: 'put_files too many',
    method: 'POST',
    path: '/put_files',
    json: { files: Array.from({ length: 30 }, () => good) },
  });

  // Keys
  const keyCases: [string, string | null][] = [
    ['no key', null],
    ['empty key', ''],
    ['short key', 'abc'],
    ['non-hex key', 'z'.repeat(64)],
    ['uppercase key', 'A'.repeat(64)],
    ['65-char key', 'a'.repeat(65)],
    ['unknown key', 'a'.repeat(64)],
    ['revoked key', ctx.revokedKey],
    ['key with spaces', ` ${'a'.repeat(62)} `],
  ];
  for (const [name, key] of keyCases) {
    out.push({ name: `${name} on put_file`, method: 'POST', path: '/put_file', json: good, key });
    out.push({ name: `${name} on get_file`, method: 'GET', path: `/get_file/${sha256Of('x')}`, key });
    out.push({ name: `${name} on api_keys`, method: 'GET', path: '/api_keys', key });
  }
  out.push({ name: 'read-only key writes', method: 'POST', path: '/put_file', json: good, key: ctx.readOnlyKey });
  out.push({
    name: 'read-only key creates keys',
    method: 'POST',
    path: '/api_keys',
    json: { name: 'x' },
    key: ctx.readOnlyKey,
  });
  out.push({ name: 'read-only key runs gc', method: 'POST', path: '/admin/gc', json: {}, key: ctx.readOnlyKey });

  // Path parameters: bad hashes and hostile paths
  // fetch() itself resolves `.`/`..` segments (also %2e%2e), so those never reach the server as a parameter.
  for (const hash of [...BAD_HASHES.filter(Boolean), ...HOSTILE_PATHS.slice(0, 40)].filter(
    (h) => !/^(\.|%2e)+\/?$/i.test(h),
  )) {
    const p = encodeURIComponent(hash);
    out.push({ name: `get_file/${hash}`, method: 'GET', path: `/get_file/${p}` });
    out.push({ name: `content of ${hash}`, method: 'GET', path: `/files/${p}/content` });
  }
  for (const hash of BAD_HASHES.filter(Boolean).slice(0, 5)) {
    out.push({
      name: `upload_file/${hash}`,
      method: 'POST',
      path: `/upload_file/${encodeURIComponent(hash)}?hostname=h&filepath=/f`,
      raw: 'x',
      headers: { 'content-type': 'multipart/form-data; boundary=b' },
    });
  }
  const up = `/upload_file/${good.sha256}`;
  out.push({
    name: 'upload_file without hostname',
    method: 'POST',
    path: `${up}?filepath=/f`,
    raw: 'x',
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
  });
  out.push({
    name: 'upload_file without query',
    method: 'POST',
    path: up,
    raw: 'x',
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
  });
  out.push({
    name: 'upload_file unknown record',
    method: 'POST',
    path: `${up}?hostname=nobody&filepath=/none`,
    raw: 'x',
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
  });
  out.push({
    name: 'upload_file not multipart',
    method: 'POST',
    path: `${up}?hostname=laptop&filepath=${encodeURIComponent(good.filepath)}`,
    raw: 'hello',
    headers: { 'content-type': 'application/octet-stream' },
  });
  out.push({
    name: 'upload_file no boundary',
    method: 'POST',
    path: `${up}?hostname=laptop&filepath=${encodeURIComponent(good.filepath)}`,
    raw: 'hello',
    headers: { 'content-type': 'multipart/form-data' },
  });
  out.push({
    name: 'upload_file no file field',
    method: 'POST',
    path: `${up}?hostname=laptop&filepath=${encodeURIComponent(good.filepath)}`,
    raw: '--b\r\nContent-Disposition: form-data; name="other"\r\n\r\nx\r\n--b--\r\n',
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
  });
  out.push({
    name: 'upload_file truncated multipart',
    method: 'POST',
    path: `${up}?hostname=laptop&filepath=${encodeURIComponent(good.filepath)}`,
    raw: '--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nhel',
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
  });
  out.push({
    name: 'upload_file wrong content',
    method: 'POST',
    path: `${up}?hostname=laptop&filepath=${encodeURIComponent(good.filepath)}`,
    raw: '--b\r\nContent-Disposition: form-data; name="file"; filename="a"\r\n\r\nnot hello\r\n--b--\r\n',
    headers: { 'content-type': 'multipart/form-data; boundary=b' },
  });
  out.push({
    name: 'raw PUT wrong content',
    method: 'PUT',
    path: `/files/${good.sha256}/content`,
    raw: 'nope',
    headers: { 'content-type': 'application/octet-stream' },
  });
  out.push({
    name: 'raw PUT too large',
    method: 'PUT',
    path: `/files/${good.sha256}/content`,
    raw: new Uint8Array(300_000),
    headers: { 'content-type': 'application/octet-stream' },
  });
  out.push({
    name: 'range past end',
    method: 'GET',
    path: `/files/${sha256Of('held')}/content`,
    headers: { range: 'bytes=100-200' },
  });

  // Unknown fields and query parameters (a typo must not drop a value), impossible empty-content records
  put('unknown fields', { ...good, is_symlnk: true, link_targt: '/etc' });
  put('size 0, hash not of empty content', { ...good, file_size: 0 });
  put('hash of empty content, size 5', { ...good, sha256: sha256Of('') });
  out.push({
    name: 'put_files unknown field',
    method: 'POST',
    path: '/put_files',
    json: { files: [good], colour: 'red' },
  });
  out.push({
    name: 'put_files record unknown field',
    method: 'POST',
    path: '/put_files',
    json: { files: [{ ...good, colour: 'red' }] },
  });
  for (const [method, path] of [
    ['POST', `/upload_file/${good.sha256}?hostname=laptop&filepath=%2Fa&colour=red`],
    ['PUT', `/files/${good.sha256}/content?colour=1`],
    ['GET', `/get_file/${good.sha256}?colour=1`],
    ['GET', `/files/${sha256Of('held')}/content?colour=1`],
    ['GET', '/catalogue?colour=1'],
    ['GET', '/api_keys?colour=1'],
    ['POST', '/put_file?colour=1'],
  ] as const) {
    const json = path.startsWith('/put_file?') ? { json: good } : {};
    out.push({ name: `${method} ${path.split('?')[0]} unknown query parameter`, method, path, ...json });
  }

  // Listing
  for (const q of [
    'limit=0',
    'limit=-1',
    'limit=abc',
    'limit=100000',
    'cursor=garbage',
    'sha256=XYZ',
    'unknown=1',
    'hostname=',
    'limit=1.5',
    'limit=',
    'limit=1e2',
    'limit=0x10',
    'limit=%20100',
    'limit=1&limit=2',
    'colour=red',
  ]) {
    out.push({ name: `files?${q}`, method: 'GET', path: `/files?${q}` });
  }
  for (const id of ['nope', '0'.repeat(24), '../../etc', '%00']) {
    out.push({ name: `files/${id}`, method: 'GET', path: `/files/${encodeURIComponent(id)}` });
    out.push({ name: `delete files/${id}`, method: 'DELETE', path: `/files/${encodeURIComponent(id)}` });
  }

  // API keys
  for (const body of [
    {},
    { name: '' },
    { name: 'x'.repeat(101) },
    { name: 5 },
    { name: 'a', scopes: ['root'] },
    { name: 'a', scopes: [] },
    { name: 'a', extra: 1 },
    { name: 'a', description: 7 },
    { name: 'a', rate_limit_per_minute: 0 },
    null,
    [],
  ]) {
    out.push({ name: `api_keys ${JSON.stringify(body)}`, method: 'POST', path: '/api_keys', json: body });
  }
  for (const id of ['unknown', '0'.repeat(24), '%2e%2e']) {
    out.push({ name: `revoke ${id}`, method: 'PUT', path: `/api_keys/${id}/revoke` });
    out.push({ name: `delete key ${id}`, method: 'DELETE', path: `/api_keys/${id}` });
  }

  // tus
  const tus = { 'tus-resumable': '1.0.0' };
  const meta = `sha256 ${Buffer.from(good.sha256).toString('base64')}`;
  out.push({
    name: 'tus without version',
    method: 'POST',
    path: '/tus',
    headers: { 'upload-length': '5', 'upload-metadata': meta },
  });
  out.push({
    name: 'tus wrong version',
    method: 'POST',
    path: '/tus',
    headers: { 'tus-resumable': '0.2.2', 'upload-length': '5', 'upload-metadata': meta },
  });
  for (const length of ['', '-1', 'abc', '1e3', '99999999999999999999']) {
    out.push({
      name: `tus Upload-Length ${length}`,
      method: 'POST',
      path: '/tus',
      headers: { ...tus, 'upload-length': length, 'upload-metadata': meta },
    });
  }
  for (const m of [
    '',
    'sha256',
    'sha256 !!!',
    `sha256 ${Buffer.from('XYZ').toString('base64')}`,
    'a b c',
    `filename ${Buffer.from('x').toString('base64')}`,
  ]) {
    out.push({
      name: `tus metadata ${JSON.stringify(m)}`,
      method: 'POST',
      path: '/tus',
      headers: { ...tus, 'upload-length': '5', 'upload-metadata': m },
    });
  }
  out.push({
    name: 'tus defer length',
    method: 'POST',
    path: '/tus',
    headers: { ...tus, 'upload-defer-length': '1', 'upload-metadata': meta },
  });
  out.push({
    name: 'tus too large',
    method: 'POST',
    path: '/tus',
    headers: { ...tus, 'upload-length': String(10 ** 12), 'upload-metadata': meta },
  });
  out.push({
    name: 'tus patch unknown',
    method: 'PATCH',
    path: `/tus/${'0'.repeat(32)}`,
    raw: 'x',
    headers: { ...tus, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
  });
  out.push({
    name: 'tus patch bad id',
    method: 'PATCH',
    path: '/tus/..%2f..',
    raw: 'x',
    headers: { ...tus, 'content-type': 'application/offset+octet-stream', 'upload-offset': '0' },
  });
  out.push({ name: 'tus delete unknown', method: 'DELETE', path: `/tus/${'1'.repeat(32)}`, headers: tus });

  // Admin and routing
  for (const body of [{ grace_seconds: -1 }, { dry_run: 'yes' }, { nope: 1 }, []]) {
    out.push({ name: `gc ${JSON.stringify(body)}`, method: 'POST', path: '/admin/gc', json: body });
  }
  for (const body of [{ repair: 'yes' }, { sha256: ['x'] }, { sha256: 'x' }]) {
    out.push({ name: `verify ${JSON.stringify(body)}`, method: 'POST', path: '/admin/verify', json: body });
  }
  for (const [method, path] of [
    ['GET', '/nope'],
    ['POST', '/get_file/x'],
    ['DELETE', '/put_file'],
    ['GET', '/upload_file/x'],
    ['PATCH', '/files'],
    ['GET', '/%c0%ae%c0%ae/etc/passwd'],
    ['GET', '/api_keys/../../etc'],
  ] as const) {
    out.push({ name: `${method} ${path}`, method, path });
  }
  return out;
}
