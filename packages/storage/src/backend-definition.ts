import type { BackendFactory } from '@org/core';
import type { z } from 'zod';

/**
 * What a backend module exports as its default: the protocol, the schema of its mount options (validated before
 * `create` is called, so errors name the mount and the key), the factory, and optionally how to read a mount URL.
 */
export interface BackendDefinition<Schema extends z.ZodType = z.ZodType> {
  protocol: string;
  /** One line for people: what this backend talks to. */
  description: string;
  options: Schema;
  create: BackendFactory<z.output<Schema>>;
  /** Turns a mount URL (`s3://bucket/prefix?region=…`) into raw options for `options`. */
  fromUrl?(url: URL): Record<string, unknown>;
}

export function defineBackend<Schema extends z.ZodType>(
  definition: BackendDefinition<Schema>,
): BackendDefinition<Schema> {
  return definition;
}
