#!/usr/bin/env bash
# Installs what the idp relying-party tests need; safe to run repeatedly.
#   - Debian chromium and chromium-driver (TestChromiumLoginAndConsent)
#   - wrk (load figures in docs/BENCHMARKS.md)
#   - openid-client v6 from package-lock.json (TestNodeOpenIDClient)
#   - oauth2-proxy v7.15.6 built from the Go module proxy into
#     ${IDP_TOOLS_DIR:-$HOME/.cache/idp-tools}/bin (TestOAuth2Proxy)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
tools="${IDP_TOOLS_DIR:-$HOME/.cache/idp-tools}"

if ! command -v chromium >/dev/null 2>&1 || ! command -v wrk >/dev/null 2>&1; then
	if command -v apt-get >/dev/null 2>&1; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq chromium chromium-driver wrk >/dev/null
	else
		echo "install-test-tools: apt-get not found; install chromium and wrk by hand" >&2
	fi
fi

if command -v npm >/dev/null 2>&1; then
	if [ ! -d "$here/rp-node/node_modules/openid-client" ]; then
		(cd "$here/rp-node" && npm ci --no-audit --no-fund)
	fi
else
	echo "install-test-tools: npm not found; TestNodeOpenIDClient will skip" >&2
fi

if [ ! -x "$tools/bin/oauth2-proxy" ]; then
	mkdir -p "$tools/bin"
	# Built outside the repository so its dependencies stay out of go.mod.
	(cd "$(mktemp -d)" && GOBIN="$tools/bin" GOFLAGS=-mod=mod \
		go install github.com/oauth2-proxy/oauth2-proxy/v7@v7.15.6)
fi
echo "install-test-tools: chromium=$(command -v chromium || echo missing) node=$(command -v node || echo missing) oauth2-proxy=$tools/bin/oauth2-proxy"
