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

/** A size for people: `1.5 MiB` (binary units; plain `N bytes` below 1 KiB). */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} bytes` : `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}
