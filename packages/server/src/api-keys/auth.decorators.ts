import { SetMetadata } from '@nestjs/common';
import type { Scope } from '../store/store.js';

export const PUBLIC_ROUTE = 'ufs:public';
export const REQUIRED_SCOPE = 'ufs:scope';

/** The route needs no API key (`GET /`, `GET /health`). */
export const Public = () => SetMetadata(PUBLIC_ROUTE, true);

/** The scope a key needs for the route (`read`, `write`, `admin`); given several, any one of them will do. */
export const RequireScope = (...scopes: [Scope, ...Scope[]]) => SetMetadata(REQUIRED_SCOPE, scopes);

export const PUBLIC_WHEN = 'ufs:public-when';

/** The route needs no API key when the named boolean option is on (e.g. `publicMetrics`). */
export const PublicWhen = (option: 'publicMetrics') => SetMetadata(PUBLIC_WHEN, option);

export const SIGNED_ACCESS = 'ufs:signed-access';

/**
 * The route also accepts, instead of an API key, a signed URL (`?expires=&signature=` from
 * `POST /files/{sha256}/share`) for its `:sha256` parameter.
 */
export const SignedAccess = () => SetMetadata(SIGNED_ACCESS, true);
