export { checkRepository, type Violation } from './check.js';
export { ALLOWED_WORKSPACE_DEPS, CORE_ALLOWED_EXTERNALS, LAZY_LOADED, TEST_SUPPORT_PACKAGES } from './rules.js';
export { packagesLoadedBy, valueImportsOf } from './eager-loads.js';
