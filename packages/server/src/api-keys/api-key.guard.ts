import { Inject, Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UfsError } from '@org/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DEDUP_CONFIG, type DedupConfig } from '../dedup-options.js';
import type { ApiKeyRecord, Scope } from '../store/store.js';
import { ApiKeysService } from './api-keys.service.js';
import { keyCheckedEarly } from './early-key-check.js';
import { SignedUrls } from '../signing/signed-urls.js';
import { PUBLIC_ROUTE, PUBLIC_WHEN, REQUIRED_SCOPE, SIGNED_ACCESS } from './auth.decorators.js';
import { RateLimiter } from './rate-limiter.js';

export type AuthedRequest = FastifyRequest & {
  apiKey?: ApiKeyRecord;
  /** Set when a signed URL (no API key) authorised the request: its expiry in epoch seconds. */
  signedUntil?: number;
};

/**
 * Global guard: X-API-Key on every route except those marked @Public; scope check; per-key rate limit. Routes
 * marked @SignedAccess also take a signed URL (`?expires=&signature=`) when no key header is sent.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    @Inject(Reflector) private readonly reflector: Reflector,
    @Inject(ApiKeysService) private readonly keys: ApiKeysService,
    @Inject(RateLimiter) private readonly limiter: RateLimiter,
    @Inject(DEDUP_CONFIG) private readonly config: DedupConfig,
    @Inject(SignedUrls) private readonly signed: SignedUrls,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const when = this.reflector.getAllAndOverride<keyof DedupConfig | undefined>(PUBLIC_WHEN, targets);
    if (when && this.config[when] === true) return true;
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    if (
      this.reflector.getAllAndOverride<boolean>(SIGNED_ACCESS, targets) &&
      request.headers['x-api-key'] === undefined
    ) {
      const query = (request.query ?? {}) as Record<string, unknown>;
      if (query.signature !== undefined || query.expires !== undefined) {
        const params = (request.params ?? {}) as Record<string, unknown>;
        request.signedUntil = await this.signed.verify(params.sha256, query.expires, query.signature, query.kid);
        return true;
      }
    }
    // Authenticated before the body was read (useEarlyKeyCheck) when the app was configured by configureDedupApp.
    const key = keyCheckedEarly(request) ?? (await this.keys.authenticate(request.headers['x-api-key']));
    const scopes = this.reflector.getAllAndOverride<Scope[] | undefined>(REQUIRED_SCOPE, targets) ?? ['admin'];
    if (!scopes.some((scope) => key.scopes.includes(scope))) {
      const wanted = scopes.map((scope) => `"${scope}"`).join(' or ');
      throw new UfsError('PERMISSION_DENIED', `[ufs] this API key lacks the ${wanted} scope`);
    }
    // The IETF draft's RateLimit-* headers (on a 429 too), from the counter in the store.
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    await this.limiter.check(key, Date.now(), (state) => {
      reply.header('ratelimit-limit', String(state.limit));
      reply.header('ratelimit-remaining', String(state.remaining));
      reply.header('ratelimit-reset', String(state.resetSeconds));
    });
    request.apiKey = key;
    return true;
  }
}
