#!/usr/bin/env bash
# Quick start: run the API on an empty data folder (embedded store + local content folder), create the first key,
# catalogue a file, upload its content and read it back. Needs curl and sha256sum.
set -euo pipefail
export UFS_DATA_DIR="${UFS_DATA_DIR:-$(mktemp -d)}" UFS_PORT="${UFS_PORT:-8000}" UFS_HOST=127.0.0.1
API="${API:-node dist/main.js}"                    # the deployable app
KEYCMD="${KEYCMD:-node dist/bootstrap-key.js}"     # creates the first key in the store (no HTTP endpoint does)
URL="http://127.0.0.1:$UFS_PORT"

KEY=$($KEYCMD admin)
$API &
trap 'kill $! 2>/dev/null' EXIT
until curl -fs "$URL/health" >/dev/null; do sleep 0.2; done

printf 'hello ufs\n' >"$UFS_DATA_DIR/hello.txt"
SHA=$(sha256sum "$UFS_DATA_DIR/hello.txt" | cut -d' ' -f1)
curl -fsS -H "X-API-Key: $KEY" -H 'Content-Type: application/json' "$URL/put_file" -d "{
  \"filepath\": \"/home/me/hello.txt\", \"hostname\": \"laptop\", \"ip_address\": \"10.0.0.5\",
  \"sha256\": \"$SHA\", \"file_size\": 10, \"file_mode\": 33188, \"file_uid\": 1000, \"file_gid\": 1000,
  \"file_mtime\": 1700000000.0, \"file_atime\": 1700000000.0, \"file_ctime\": 1700000000.0 }"
echo
curl -fsS -H "X-API-Key: $KEY" -F "file=@$UFS_DATA_DIR/hello.txt" \
  "$URL/upload_file/$SHA?hostname=laptop&filepath=/home/me/hello.txt"
echo
curl -fsS -H "X-API-Key: $KEY" "$URL/files/$SHA/content"
curl -fsS "$URL/openapi.json" -o /dev/null && echo "OpenAPI at $URL/openapi.json, Swagger UI at $URL/docs"
