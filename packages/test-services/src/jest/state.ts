import type { RunningService } from '../services/index.js';

/** What global setup leaves for global teardown (both run in jest's main process). */
export interface SetupState {
  services: RunningService[];
  /** Values the variables had before setup wrote them (undefined = unset), restored by teardown. */
  previousEnv: Record<string, string | undefined>;
  /** Whether the project asked for "mongodb" (teardown repeats the MongoDB line). */
  mongodb: boolean;
}

const KEY = Symbol.for('@org/test-services/jest-state');

type Holder = { [KEY]?: SetupState };

export function saveState(state: SetupState): void {
  (globalThis as Holder)[KEY] = state;
}

export function takeState(): SetupState | undefined {
  const state = (globalThis as Holder)[KEY];
  delete (globalThis as Holder)[KEY];
  return state;
}
