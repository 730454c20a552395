#!/usr/bin/env bash
# curl_jq.sh - fetch a whole shop with curl + jq in a shell loop.
#   KEYAPI_BASE_URL=... KEYAPI_API_KEY=... bench/compare/curl_jq.sh [SELLER_ID]
# One curl per page (a new connection each time, as a shell loop does), jq
# '.data | length' decides when to stop and counts the records. On 429 it
# sleeps Retry-After and asks again. Prints one line:
#   pages records seconds rate_limited failed
set -u
base=${KEYAPI_BASE_URL%/}
seller=${1:-999}
page_size=10
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pages=0 records=0 rate_limited=0 failed=0
t0=$EPOCHREALTIME
page=1
while [ "$page" -le 100000 ]; do
  n=
  for _ in $(seq 1 20); do
    status=$(curl -s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' \
      -H "Authorization: Bearer $KEYAPI_API_KEY" \
      "$base/v1/tiktok/shop/livestreams/analytics?seller_id=$seller&page_num=$page&page_size=$page_size")
    if [ "$status" = 429 ]; then
      rate_limited=$((rate_limited + 1))
      ra=$(tr -d '\r' < "$tmp/headers" | sed -n 's/^[Rr]etry-[Aa]fter: *//p' | head -n 1)
      sleep "${ra:-1}"
      continue
    fi
    if [ "$status" = 000 ]; then sleep 1; continue; fi
    [ "$status" = 200 ] || break
    n=$(jq -e 'if .code == 0 and (.data | type) == "array" then .data | length else error("bad") end' "$tmp/body" 2>/dev/null) || n=
    break
  done
  if [ -z "$n" ]; then
    failed=$((failed + 1))
    [ "$failed" -ge 5 ] && break
  else
    pages=$((pages + 1))
    records=$((records + n))
    [ "$n" -lt "$page_size" ] && break
  fi
  page=$((page + 1))
done
t1=$EPOCHREALTIME
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", b - a }')
echo "$pages $records $secs $rate_limited $failed"
