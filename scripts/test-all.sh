#!/usr/bin/env bash
# The one test command: on a fresh machine (Debian, Node 20 + npm, root) it gets pnpm, the Debian packages the
# test servers need, the npm packages; builds; starts the real test services on 127.0.0.1; runs lint, type checks
# and every test; stops the services. Re-running it is cheap: turbo replays what has not changed.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
# Native addons (better-sqlite3, ssh2's cpu-features) build against the headers that come with Node here.
if [ -z "${npm_config_nodedir:-}" ] && [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1

step() { printf '\n==> %s\n' "$*"; }

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  step "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" --no-fund --no-audit --loglevel=error \
    || { export COREPACK_INTEGRITY_KEYS=0; corepack enable && corepack prepare "pnpm@$PNPM_VERSION" --activate; }
fi

step "system packages for the test servers"
bash scripts/install-test-deps.sh

step "pnpm install"
pnpm install --frozen-lockfile

step "build"
pnpm turbo run build --output-logs=errors-only

step "lint, type checks and tests (with real test services)"
node packages/test-services/dist/bin/with-services.js --services "${UFS_TEST_SERVICE_LIST:-s3,sftp}" -- \
  pnpm turbo run lint check-types test --output-logs=new-only --log-order=grouped --concurrency=2
