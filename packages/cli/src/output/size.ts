import { UfsError } from '@org/core';

const UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  kib: 1024,
  m: 1e6,
  mb: 1e6,
  mib: 1024 ** 2,
  g: 1e9,
  gb: 1e9,
  gib: 1024 ** 3,
  t: 1e12,
  tb: 1e12,
  tib: 1024 ** 4,
};

/** `64MiB`, `1.5GB`, `4096` → bytes. */
export function parseSize(text: string, what = 'size'): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) {
    throw new UfsError(
      'INVALID_INPUT',
      `[ufs] ${what} must be a number of bytes with an optional unit (KiB, MiB, GB, …), got ${JSON.stringify(text)}`,
    );
  }
  return Math.round(Number(match[1]) * unit);
}
