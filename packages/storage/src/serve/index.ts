export { serveNode, type ServeOptions, type ServeResult } from './serve.js';
export { SERVE_STATUS_BY_CODE } from './status.js';
