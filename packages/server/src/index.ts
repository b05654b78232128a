export { HTTP_STATUS_BY_CODE, errorResponse, type ErrorBody } from './http/error-status.js';
