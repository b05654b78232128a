import { UfsError } from '@org/core';
import { z } from 'zod';

/** Environment of the deployable API. Every variable is documented in apps/api/README.md. */
const envSchema = z.object({
  UFS_HOST: z.string().default('0.0.0.0'),
  UFS_PORT: z.coerce.number().int().min(0).max(65_535).default(8000),
  /** MongoDB connection string; when absent the embedded store on local disk is used. */
  UFS_MONGODB_URI: z
    .string()
    .regex(/^mongodb(\+srv)?:\/\//, 'must start with mongodb:// or mongodb+srv://')
    .optional(),
  /** Folder for the embedded store and the default content mount. */
  UFS_DATA_DIR: z.string().min(1).default('./ufs-data'),
  /** Content mount as a URL (`file:///srv/ufs`, `s3://bucket/prefix?…`); default: a folder under UFS_DATA_DIR. */
  UFS_CONTENT_URL: z.string().url().optional(),
  /** Largest accepted upload in bytes. */
  UFS_MAX_UPLOAD_BYTES: z.coerce
    .number()
    .int()
    .positive()
    .default(10 * 1024 ** 3),
  UFS_LOG_LEVEL: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
});

export type ApiConfig = z.output<typeof envSchema>;

/** Reads and validates the API's environment; CONFIG_INVALID names every bad variable. */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): ApiConfig {
  const result = envSchema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
  throw new UfsError('CONFIG_INVALID', `[ufs] invalid API configuration: ${problems.join('; ')}`);
}
