/** One progress event shape for uploads, copies and scans. */
export interface ProgressEvent {
  /** Bytes (or items, for counts) done so far. */
  loaded: number;
  /** Total when known. */
  total?: number;
  /** What the event is about: a path, a key, a file name. */
  item?: string;
  /** Optional phase label: `read`, `upload`, `verify`, `hash`, `copy`, … */
  phase?: string;
}

export type ProgressListener = (event: ProgressEvent) => void;
