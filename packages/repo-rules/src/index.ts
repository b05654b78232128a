export { checkRepository, type Violation } from './check.js';
export { ALLOWED_WORKSPACE_DEPS, CORE_ALLOWED_EXTERNALS, TEST_SUPPORT_PACKAGES } from './rules.js';
