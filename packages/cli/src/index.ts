export { main } from './main.js';
export { EXIT_CODE_BY_CODE } from './exit-codes.js';
