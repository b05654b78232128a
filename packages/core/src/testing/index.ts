export * from './hostile-paths.js';
export * from './ufs-failure.js';
