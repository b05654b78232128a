import type * as Diff from 'diff';
import type * as Yaml from 'yaml';
import type * as Yazl from 'yazl';

/**
 * The checked-in registry of libraries loaded on first use instead of with `@org/storage`'s entry (together ~90 ms
 * and ~90 files that every program importing the package paid, e.g. each `ufs` storage command and the server):
 * YAML for config files, `diff` for diff nodes, yazl for zip nodes. Backends and their SDKs load through
 * `registry.ts`.
 */
export const loadYaml = (): Promise<typeof Yaml> => import('yaml');

export const loadDiff = (): Promise<typeof Diff> => import('diff');

export const loadYazl = (): Promise<typeof Yazl> => import('yazl');
