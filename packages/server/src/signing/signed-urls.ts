import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { UfsError } from '@org/core';
import { z } from 'zod';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import { METADATA_STORE, type MetadataStore } from '../store/store.js';

/** Lifetime of a signed content URL when the share request names none: 7 days. */
export const DEFAULT_SHARE_SECONDS = 7 * 86_400;
/** Longest lifetime a share request may ask for: 30 days. */
export const MAX_SHARE_SECONDS = 30 * 86_400;
/** Store setting holding the generated secret when none is configured. */
export const SIGNING_SECRET_SETTING = 'content-url-signing-secret';

/** Body of `POST /files/{sha256}/share` (optional). */
export const shareRequestSchema = z
  .object({
    expires_in: z
      .number()
      .int('expires_in must be a whole number of seconds')
      .min(1, 'expires_in must be at least 1 second')
      .max(MAX_SHARE_SECONDS, `expires_in must be at most ${MAX_SHARE_SECONDS} seconds (30 days)`)
      .optional()
      .describe(`lifetime of the URL in seconds; default ${DEFAULT_SHARE_SECONDS} (7 days)`),
  })
  .strict();

/** Answer of `POST /files/{sha256}/share`. */
export const shareResponseSchema = z.object({
  url: z
    .string()
    .describe(
      '/files/{sha256}/content?expires=<epoch seconds>&kid=<id of the signing API key>&signature=<hex HMAC-SHA256>',
    ),
  expires_at: z.iso.datetime().describe('when the URL stops working (sooner if the API key that made it is revoked)'),
});
export type ShareResponse = z.infer<typeof shareResponseSchema>;

/** An API key id as a signed URL's `kid` carries it. */
const KEY_ID = /^[0-9A-Za-z_-]{1,100}$/;

function denied(why: string): UfsError {
  return new UfsError('PERMISSION_DENIED', `[ufs] ${why}`, { context: { reason: 'signed-url' } });
}

/**
 * Signed content URLs: `HMAC-SHA256(secret, "<sha256>:<expires>:<kid>")` in hex, where `kid` is the id of the API key
 * that asked for the URL: a URL works only while that key exists and is active (as an AWS presigned URL stops working
 * with the credentials that signed it). A URL signed before keys were bound (no `kid`, the signature over
 * `"<sha256>:<expires>"`) is honoured until it expires. The secret is the configured one or, when none is, one
 * generated once and kept in the store (insert-if-absent), so every replica signs and checks alike.
 */
@Injectable()
export class SignedUrls {
  private secret: Promise<string> | undefined;

  constructor(
    @Inject(METADATA_STORE) private readonly store: MetadataStore,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
  ) {}

  private key(): Promise<string> {
    if (this.config.signingSecret !== null) return Promise.resolve(this.config.signingSecret);
    if (!this.secret) {
      this.secret = this.store.getOrInsertSetting(SIGNING_SECRET_SETTING, randomBytes(32).toString('hex'));
      this.secret.catch(() => (this.secret = undefined));
    }
    return this.secret;
  }

  private async mac(sha256: string, expires: number, keyId: string | undefined): Promise<Buffer> {
    const signed = keyId === undefined ? `${sha256}:${expires}` : `${sha256}:${expires}:${keyId}`;
    return createHmac('sha256', await this.key())
      .update(signed, 'utf8')
      .digest();
  }

  /**
   * A download URL of `sha256` (relative to the server) valid for `expiresIn` seconds from now, or until the API key
   * `keyId` (the one that asked for it) is revoked or deleted.
   */
  async sign(
    sha256: string,
    keyId: string,
    expiresIn = DEFAULT_SHARE_SECONDS,
    now = Date.now(),
  ): Promise<ShareResponse> {
    if (!KEY_ID.test(keyId)) throw new UfsError('UNEXPECTED', '[ufs] cannot sign a URL for this API key id');
    const expires = Math.floor(now / 1000) + expiresIn;
    const signature = (await this.mac(sha256, expires, keyId)).toString('hex');
    const query = new URLSearchParams({ expires: String(expires), kid: keyId, signature });
    return { url: `/files/${sha256}/content?${query}`, expires_at: new Date(expires * 1000).toISOString() };
  }

  /**
   * Checks `expires`, `signature` and `kid` (query values) for `sha256`, and that the API key `kid` names is still
   * there and active; PERMISSION_DENIED (403) saying why otherwise. Without `kid`: a URL signed before URLs named
   * their key, checked as it was signed.
   */
  async verify(
    sha256: unknown,
    expires: unknown,
    signature: unknown,
    keyId?: unknown,
    now = Date.now(),
  ): Promise<number> {
    if (typeof expires !== 'string' || typeof signature !== 'string') {
      throw denied('a signed URL needs exactly one "expires" and one "signature" query parameter');
    }
    if (keyId !== undefined && (typeof keyId !== 'string' || !KEY_ID.test(keyId))) {
      throw denied('invalid signed URL: "kid" must be one API key id');
    }
    if (!/^\d{1,12}$/.test(expires)) throw denied('invalid signed URL: "expires" must be epoch seconds');
    if (!/^[0-9a-f]{64}$/i.test(signature)) throw denied('invalid signed URL: "signature" must be 64 hex characters');
    const expected = await this.mac(String(sha256), Number(expires), keyId);
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) {
      throw denied('invalid signature for this content URL');
    }
    const at = Number(expires);
    if (at * 1000 <= now) throw denied(`this signed URL expired at ${new Date(at * 1000).toISOString()}`);
    if (keyId !== undefined) {
      const key = await this.store.getApiKey(keyId);
      if (!key?.is_active) {
        throw denied(
          `the API key that signed this URL is no longer valid (${key ? 'revoked' : 'deleted'}): ask for a new URL`,
        );
      }
    }
    return at;
  }
}
