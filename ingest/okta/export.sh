#!/usr/bin/env bash
# export.sh writes an Okta export directory that ingest/okta.ParseExport reads.
#
#   OKTA_ORG=example.okta.com OKTA_TOKEN=... ./export.sh out-dir
#
# Every file is the JSON array one request returns, all pages concatenated
# (pages follow the Link rel="next" header). Needs curl and jq. The token is
# read from the environment and never printed.
set -euo pipefail
org=${OKTA_ORG:?set OKTA_ORG, e.g. example.okta.com}
: "${OKTA_TOKEN:?set OKTA_TOKEN to an Okta API token}"
out=${1:?usage: export.sh OUT_DIR}
base="https://$org/api/v1"

# get PATH FILE: every page of $base/PATH, merged into one array in FILE.
get() {
  local url="$base/$1" file="$out/$2" tmp headers
  mkdir -p "$(dirname "$file")"
  tmp=$(mktemp) headers=$(mktemp)
  echo '[]' >"$file"
  while [ -n "$url" ]; do
    curl -sS --fail -D "$headers" -H "Authorization: SSWS $OKTA_TOKEN" -H 'Accept: application/json' "$url" >"$tmp"
    jq -s '.[0] + .[1]' "$file" "$tmp" >"$file.new" && mv "$file.new" "$file"
    url=$(grep -i '^link:' "$headers" | tr ',' '\n' | grep 'rel="next"' | sed -E 's/.*<([^>]+)>.*/\1/' || true)
    if grep -qi '^x-rate-limit-remaining: 0' "$headers"; then
      reset=$(grep -i '^x-rate-limit-reset:' "$headers" | tr -dc '0-9')
      sleep $(( reset > $(date +%s) ? reset - $(date +%s) : 1 ))
    fi
  done
  rm -f "$tmp" "$headers"
}

get 'users?limit=200' users.json
get 'groups?limit=200' groups.json
get 'apps?limit=200' apps.json
get 'api-tokens' api-tokens.json
for g in $(jq -r '.[].id' "$out/groups.json"); do
  get "groups/$g/users?limit=200" "groups/$g/users.json"
  get "groups/$g/roles" "groups/$g/roles.json"
done
for a in $(jq -r '.[].id' "$out/apps.json"); do
  get "apps/$a/users?limit=200" "apps/$a/users.json"
  get "apps/$a/groups?limit=200" "apps/$a/groups.json"
done
for u in $(jq -r '.[].id' "$out/users.json"); do
  get "users/$u/roles" "users/$u/roles.json"
  get "users/$u/grants?expand=scope" "users/$u/grants.json"
done
