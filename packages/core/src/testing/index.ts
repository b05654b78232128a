export * from './hostile-paths.js';
