#!/usr/bin/env bash
# The demo on embedded defaults. From a fresh machine (Node 20 + npm): installs pnpm and the packages, builds the
# CLI, starts `ufs serve` (embedded SQLite store, local content folder) in the background, scans a sample folder
# twice (the first run uploads each distinct content once; the second is answered from the hash cache), uploads a
# file through the `ufs` provider, fetches the URL it printed (a signed link: no API key needed), and stops the
# server. Everything lives in a temp folder, removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

PNPM_VERSION=$(node -p "require('./package.json').packageManager.split('@')[1]")
if [ -z "${npm_config_nodedir:-}" ] && [ -d /usr/include/node ]; then export npm_config_nodedir=/usr; fi
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
step() { printf '\n==> %s\n' "$*" >&2; }

if [ "$(pnpm --version 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  step "installing pnpm $PNPM_VERSION"
  npm install -g "pnpm@$PNPM_VERSION" --no-fund --no-audit --loglevel=error \
    || { export COREPACK_INTEGRITY_KEYS=0; corepack enable && corepack prepare "pnpm@$PNPM_VERSION" --activate; }
fi
step "pnpm install"
pnpm install --frozen-lockfile >&2
step "build the ufs CLI"
pnpm turbo run build --filter @org/cli... --output-logs=errors-only >&2

demo=$(mktemp -d /tmp/ufs-demo-XXXXXX)
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null || true
  rm -rf "$demo"
}
trap cleanup EXIT
export XDG_DATA_HOME="$demo/data" XDG_CONFIG_HOME="$demo/config" XDG_CACHE_HOME="$demo/cache"
ufs() { node packages/cli/bin/run.js "$@"; }

step "a sample folder: 6 files, 4 distinct contents"
mkdir -p "$demo/sample/docs" "$demo/sample/copies"
printf 'hello from ufs\n' >"$demo/sample/hello.txt"
head -c 3000000 /dev/urandom >"$demo/sample/docs/photo.raw"
seq 1 100000 >"$demo/sample/docs/numbers.txt"
printf 'a note\n' >"$demo/sample/docs/note.txt"
cp "$demo/sample/hello.txt" "$demo/sample/copies/hello-again.txt"
cp "$demo/sample/docs/photo.raw" "$demo/sample/copies/photo-copy.raw"

step "ufs serve (embedded defaults) in the background"
# node itself in the background (not the ufs function: $! would be a subshell, and killing it leaves node running).
node packages/cli/bin/run.js serve --port 0 --json >"$demo/serve.json" 2>"$demo/serve.log" &
server_pid=$!
for _ in $(seq 1 100); do [ -s "$demo/serve.json" ] && break; sleep 0.2; done
[ -s "$demo/serve.json" ] || { cat "$demo/serve.log" >&2; echo "demo: the server did not start" >&2; exit 1; }
export UFS_SERVER UFS_API_KEY
UFS_SERVER=$(node -p "JSON.parse(require('fs').readFileSync('$demo/serve.json','utf8')).url")
UFS_API_KEY=$(node -p "JSON.parse(require('fs').readFileSync('$demo/serve.json','utf8')).apiKey")
echo "server: $UFS_SERVER" >&2

step "ufs scan, first run: hashes everything, uploads each distinct content once"
ufs scan "$demo/sample" --hostname demo-host
step "ufs scan, second run: unchanged files come from the hash cache, nothing is uploaded"
ufs scan "$demo/sample" --hostname demo-host

step "ufs upload through the ufs provider"
url=$(ufs upload "$demo/sample/hello.txt" --provider ufs)
step "fetch the URL it printed"
# The ufs provider returns a signed share URL: it serves the bytes to anyone holding it, no API key.
# Fetched with Node (no curl needed on a fresh machine): the body on stdout, a failure status on error.
fetch_url() {
  node -e 'fetch(process.argv[1]).then(async (r) => { if (!r.ok) throw new Error(`HTTP ${r.status}`); for await (const c of r.body) process.stdout.write(c); }).catch((e) => { console.error(`demo: ${e.message}`); process.exit(1); })' "$1"
}
if fetch_url "$url" | cmp -s - "$demo/sample/hello.txt"; then
  echo "the URL serves the uploaded bytes" >&2
else
  echo "demo: $url does not serve the uploaded file" >&2
  exit 1
fi
step "stop the server"
kill "$server_pid" && wait "$server_pid" 2>/dev/null || true
server_pid=
echo "$url"
