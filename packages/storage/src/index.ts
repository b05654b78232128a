export * from './backend-definition.js';
export { BACKEND_LOADERS, PROTOCOL_ALIASES, knownProtocols, loadBackend, resolveProtocol } from './registry.js';
