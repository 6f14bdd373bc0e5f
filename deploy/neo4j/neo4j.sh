#!/usr/bin/env bash
# neo4j.sh runs a local Neo4j Community server without Docker: the server's
# jars come from Maven Central (see pom.xml beside this script), and java
# starts org.neo4j.server.CommunityEntryPoint directly. See README.md.
#
#   neo4j.sh install            fetch the jars into $NEO4J_HOME_DIR (once)
#   neo4j.sh start              write neo4j.conf, set the initial password, start, wait
#   neo4j.sh stop               SIGTERM, then SIGKILL after $NEO4J_STOP_TIMEOUT seconds
#   neo4j.sh status             print whether it runs (exit 0 running, 3 not running)
#   neo4j.sh wait               wait until Bolt answers a query
#   neo4j.sh cypher 'QUERY'     run one query, print each record as a JSON line
#   neo4j.sh import ARGS...     offline bulk import (neo4j-admin database import full ARGS)
#                               into a fresh store, swapped in on success; server stopped
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"

NEO4J_VERSION="${NEO4J_VERSION:-5.26.30}"
NEO4J_HOME_DIR="${NEO4J_HOME_DIR:-$REPO/.cache/neo4j}"
NEO4J_DATA_DIR="${NEO4J_DATA_DIR:-$REPO/.data/neo4j}"
NEO4J_BOLT_PORT="${NEO4J_BOLT_PORT:-7687}"
NEO4J_HTTP_PORT="${NEO4J_HTTP_PORT:-}" # empty: HTTP disabled
NEO4J_HEAP="${NEO4J_HEAP:-2g}"
NEO4J_PAGECACHE="${NEO4J_PAGECACHE:-1g}"
NEO4J_START_TIMEOUT="${NEO4J_START_TIMEOUT:-180}"
NEO4J_STOP_TIMEOUT="${NEO4J_STOP_TIMEOUT:-60}"
NEO4J_USER="${NEO4J_USER:-neo4j}"
NEO4J_IMPORT_HEAP="${NEO4J_IMPORT_HEAP:-1g}"
NEO4J_IMPORT_MEMORY="${NEO4J_IMPORT_MEMORY:-2g}" # the importer's --max-off-heap-memory
NEO4J_IMPORT_DATABASE="${NEO4J_IMPORT_DATABASE:-neo4j}"

LIB_DIR="$NEO4J_HOME_DIR/$NEO4J_VERSION/lib"
MARKER="$NEO4J_HOME_DIR/$NEO4J_VERSION/.installed"
CTL="$NEO4J_HOME_DIR/bin/neo4jctl"
CONF_DIR="$NEO4J_DATA_DIR/conf"
LOG_DIR="$NEO4J_DATA_DIR/logs"
RUN_DIR="$NEO4J_DATA_DIR/run"
PID_FILE="$RUN_DIR/neo4j.pid"
CONSOLE_LOG="$LOG_DIR/console.log"

log() { echo "neo4j.sh: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

require_java() {
	command -v java >/dev/null || die "java not found: install a JDK 17 or 21"
	local v
	v="$(java -XshowSettings:properties -version 2>&1 | awk -F' = ' '/java.specification.version/ {print $2}')"
	case "$v" in
	17 | 21) ;;
	*) die "java $v found: Neo4j $NEO4J_VERSION needs Java 17 or 21" ;;
	esac
}

# build_ctl compiles the Bolt helper (deploy/neo4j/neo4jctl) once per source change.
build_ctl() {
	local src="$SCRIPT_DIR/neo4jctl/main.go"
	if [[ -x "$CTL" && "$CTL" -nt "$src" ]]; then
		return
	fi
	command -v go >/dev/null || die "go not found: needed to build deploy/neo4j/neo4jctl"
	mkdir -p "$(dirname "$CTL")"
	(cd "$REPO" && go build -o "$CTL.tmp" ./deploy/neo4j/neo4jctl) || die "build deploy/neo4j/neo4jctl failed"
	mv -f "$CTL.tmp" "$CTL"
}

cmd_install() {
	require_java
	if [[ -f "$MARKER" ]]; then
		log "neo4j $NEO4J_VERSION already installed in $NEO4J_HOME_DIR/$NEO4J_VERSION"
		build_ctl
		return
	fi
	command -v mvn >/dev/null || die "mvn not found: install Maven"
	local t0 tmp
	t0=$(date +%s)
	tmp="$NEO4J_HOME_DIR/$NEO4J_VERSION/lib.tmp.$$"
	rm -rf "$tmp"
	mkdir -p "$tmp"
	log "fetching neo4j $NEO4J_VERSION jars from Maven Central (a few minutes the first time)"
	if ! mvn -B -q -f "$SCRIPT_DIR/pom.xml" -Dneo4j.version="$NEO4J_VERSION" \
		dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >&2; then
		rm -rf "$tmp"
		die "mvn could not fetch org.neo4j:neo4j:$NEO4J_VERSION"
	fi
	ls "$tmp"/neo4j-"$NEO4J_VERSION".jar >/dev/null 2>&1 || {
		rm -rf "$tmp"
		die "neo4j-$NEO4J_VERSION.jar missing after mvn"
	}
	rm -rf "$LIB_DIR"
	mv "$tmp" "$LIB_DIR"
	build_ctl
	date -u +%FT%TZ >"$MARKER"
	log "installed neo4j $NEO4J_VERSION ($(ls "$LIB_DIR" | wc -l) jars) in $(($(date +%s) - t0))s"
}

# running_pid prints the pid of the running server, or fails.
running_pid() {
	[[ -f "$PID_FILE" ]] || return 1
	local pid
	pid="$(cat "$PID_FILE")"
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	# Guard against a reused pid: it must be our java.
	grep -q CommunityEntryPoint "/proc/$pid/cmdline" 2>/dev/null || return 1
	echo "$pid"
}

require_password() {
	[[ -n "${NEO4J_PASSWORD:-}" ]] || die "NEO4J_PASSWORD is not set (at least 8 characters)"
	((${#NEO4J_PASSWORD} >= 8)) || die "NEO4J_PASSWORD is shorter than 8 characters"
}

write_conf() {
	mkdir -p "$CONF_DIR" "$LOG_DIR" "$RUN_DIR" "$NEO4J_DATA_DIR/data" "$NEO4J_DATA_DIR/import" "$NEO4J_DATA_DIR/plugins"
	local http
	if [[ -n "$NEO4J_HTTP_PORT" ]]; then
		http="server.http.enabled=true
server.http.listen_address=127.0.0.1:$NEO4J_HTTP_PORT"
	else
		http="server.http.enabled=false"
	fi
	cat >"$CONF_DIR/neo4j.conf.tmp" <<EOF
# Written by deploy/neo4j/neo4j.sh start; edits are overwritten.
server.directories.data=$NEO4J_DATA_DIR/data
server.directories.logs=$LOG_DIR
server.directories.run=$RUN_DIR
server.directories.import=$NEO4J_DATA_DIR/import
server.directories.plugins=$NEO4J_DATA_DIR/plugins
server.directories.lib=$LIB_DIR
server.default_listen_address=127.0.0.1
server.default_advertised_address=127.0.0.1
server.bolt.enabled=true
server.bolt.listen_address=127.0.0.1:$NEO4J_BOLT_PORT
server.bolt.advertised_address=127.0.0.1:$NEO4J_BOLT_PORT
$http
server.https.enabled=false
dbms.security.auth_enabled=true
dbms.usage_report.enabled=false
server.memory.heap.initial_size=$NEO4J_HEAP
server.memory.heap.max_size=$NEO4J_HEAP
server.memory.pagecache.size=$NEO4J_PAGECACHE
db.tx_log.rotation.retention_policy=2 days 1G
EOF
	mv -f "$CONF_DIR/neo4j.conf.tmp" "$CONF_DIR/neo4j.conf"
}

# set_initial_password stores NEO4J_PASSWORD for the neo4j user; it only takes
# effect before the system database is created, so it runs only then.
set_initial_password() {
	if [[ -d "$NEO4J_DATA_DIR/data/databases/system" ]]; then
		return
	fi
	log "setting the initial password of user neo4j"
	NEO4J_HOME="$NEO4J_DATA_DIR" NEO4J_CONF="$CONF_DIR" \
		java -cp "$LIB_DIR/*" org.neo4j.cli.AdminTool dbms set-initial-password "$NEO4J_PASSWORD" >>"$LOG_DIR/admin.log" 2>&1 ||
		die "set-initial-password failed; see $LOG_DIR/admin.log"
}

cmd_start() {
	require_password
	local pid
	if pid="$(running_pid)"; then
		log "already running (pid $pid, bolt 127.0.0.1:$NEO4J_BOLT_PORT)"
		cmd_wait
		return
	fi
	[[ -f "$MARKER" ]] || cmd_install
	require_java
	build_ctl
	write_conf
	set_initial_password
	local t0
	t0=$(date +%s)
	# Port already taken by something else?
	if (exec 3<>"/dev/tcp/127.0.0.1/$NEO4J_BOLT_PORT") 2>/dev/null; then
		die "port 127.0.0.1:$NEO4J_BOLT_PORT is already in use by another process (set NEO4J_BOLT_PORT)"
	fi
	log "starting neo4j $NEO4J_VERSION (data $NEO4J_DATA_DIR, heap $NEO4J_HEAP, pagecache $NEO4J_PAGECACHE)"
	NEO4J_HOME="$NEO4J_DATA_DIR" NEO4J_CONF="$CONF_DIR" nohup setsid java \
		-Xms"$NEO4J_HEAP" -Xmx"$NEO4J_HEAP" \
		-XX:+UseG1GC -XX:-OmitStackTraceInFastThrow -XX:+DisableExplicitGC -XX:+ExitOnOutOfMemoryError \
		-XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints \
		-Djdk.nio.maxCachedBufferSize=1024 -Dio.netty.tryReflectionSetAccessible=true \
		-Dlog4j2.disable.jmx=true \
		--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED \
		--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED \
		-cp "$LIB_DIR/*" org.neo4j.server.CommunityEntryPoint \
		--home-dir="$NEO4J_DATA_DIR" --config-dir="$CONF_DIR" \
		</dev/null >>"$CONSOLE_LOG" 2>&1 &
	echo $! >"$PID_FILE"
	cmd_wait
	log "started in $(($(date +%s) - t0))s (pid $(cat "$PID_FILE"), bolt://127.0.0.1:$NEO4J_BOLT_PORT)"
}

print_log_tail() {
	local f
	for f in "$CONSOLE_LOG" "$LOG_DIR/neo4j.log"; do
		if [[ -s "$f" ]] && grep -q '[^[:space:]]' "$f"; then
			log "last lines of $f:"
			tail -n 30 "$f" >&2
		fi
	done
	if [[ -f "$LOG_DIR/debug.log" ]]; then
		log "errors in $LOG_DIR/debug.log:"
		grep -E ' ERROR ' "$LOG_DIR/debug.log" | tail -n 10 >&2 || true
	fi
}

cmd_wait() {
	require_password
	build_ctl
	local pid args=(-timeout "${NEO4J_START_TIMEOUT}s")
	if pid="$(running_pid)"; then
		args+=(-pid "$pid")
	fi
	if ! NEO4J_URI="bolt://127.0.0.1:$NEO4J_BOLT_PORT" NEO4J_USER="$NEO4J_USER" "$CTL" wait "${args[@]}"; then
		print_log_tail
		die "neo4j did not become ready on bolt://127.0.0.1:$NEO4J_BOLT_PORT"
	fi
}

cmd_stop() {
	local pid
	if ! pid="$(running_pid)"; then
		log "not running"
		rm -f "$PID_FILE"
		return
	fi
	log "stopping pid $pid"
	kill -TERM "$pid"
	local i
	for ((i = 0; i < NEO4J_STOP_TIMEOUT * 2; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			rm -f "$PID_FILE"
			log "stopped"
			return
		fi
		sleep 0.5
	done
	log "still running after ${NEO4J_STOP_TIMEOUT}s: SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$PID_FILE"
}

cmd_status() {
	local pid
	if pid="$(running_pid)"; then
		echo "running (pid $pid, bolt://127.0.0.1:$NEO4J_BOLT_PORT, data $NEO4J_DATA_DIR)"
		return 0
	fi
	echo "not running"
	return 3
}

cmd_cypher() {
	[[ $# -eq 1 ]] || die "usage: neo4j.sh cypher 'QUERY'"
	require_password
	build_ctl
	NEO4J_URI="${NEO4J_URI:-bolt://127.0.0.1:$NEO4J_BOLT_PORT}" NEO4J_USER="$NEO4J_USER" "$CTL" cypher "$1"
}

# cmd_import runs the offline importer (neo4j-admin database import full)
# with the given options into a staging data directory, then swaps the
# imported database's store and transaction logs in for the current ones.
# If the importer fails, the staging is deleted and the current database is
# untouched. The server must be stopped.
cmd_import() {
	[[ $# -gt 0 ]] || die "usage: neo4j.sh import --nodes=FILE... [--relationships=FILE...] [IMPORTER OPTIONS]"
	local pid
	if pid="$(running_pid)"; then
		die "neo4j is running (pid $pid): stop it first (neo4j.sh stop); the importer writes the store files directly"
	fi
	[[ -f "$MARKER" ]] || cmd_install
	require_java
	ls "$LIB_DIR"/neo4j-import-tool-*.jar >/dev/null 2>&1 || die "neo4j-import-tool jar missing in $LIB_DIR: run neo4j.sh install"
	write_conf
	local db="$NEO4J_IMPORT_DATABASE" stage="$NEO4J_DATA_DIR/import-stage" t0
	t0=$(date +%s)
	rm -rf "$stage"
	mkdir -p "$stage/conf" "$stage/data" "$stage/logs"
	sed -e "s|^server.directories.data=.*|server.directories.data=$stage/data|" \
		-e "s|^server.directories.logs=.*|server.directories.logs=$stage/logs|" \
		"$CONF_DIR/neo4j.conf" >"$stage/conf/neo4j.conf"
	log "importing into database $db (staging $stage, heap $NEO4J_IMPORT_HEAP, off-heap $NEO4J_IMPORT_MEMORY)"
	if ! (cd "$stage/logs" && NEO4J_HOME="$NEO4J_DATA_DIR" NEO4J_CONF="$stage/conf" \
		java -Xms"$NEO4J_IMPORT_HEAP" -Xmx"$NEO4J_IMPORT_HEAP" -XX:+UseG1GC -XX:+ExitOnOutOfMemoryError \
		--add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
		--add-opens=java.base/java.lang=ALL-UNNAMED \
		-cp "$LIB_DIR/*" org.neo4j.cli.AdminTool database import full --verbose \
		--max-off-heap-memory="$NEO4J_IMPORT_MEMORY" "$@" "$db") >"$stage/logs/import.log" 2>&1; then
		mkdir -p "$LOG_DIR"
		cp "$stage/logs/import.log" "$LOG_DIR/import.log"
		rm -f "$LOG_DIR/import.report"
		if [[ -f "$stage/logs/import.report" ]]; then cp "$stage/logs/import.report" "$LOG_DIR/import.report"; fi
		rm -rf "$stage"
		log "the importer failed; database $db is unchanged. Last lines of $LOG_DIR/import.log (progress bars and stack frames left out):"
		grep -v -e '\.\.\.\.\.\.\.\.\.\. ' -e '^[[:space:]]*at ' -e '^[[:space:]]*\.\.\. [0-9]* more' -e '^[[:space:]]*$' \
			"$LOG_DIR/import.log" | tail -n 25 >&2 || true
		if [[ -s "$LOG_DIR/import.report" ]]; then
			log "first bad entries, from $LOG_DIR/import.report:"
			head -n 10 "$LOG_DIR/import.report" >&2
		fi
		die "import failed"
	fi
	local data="$NEO4J_DATA_DIR/data" d
	[[ -d "$stage/data/databases/$db" && -d "$stage/data/transactions/$db" ]] ||
		die "the importer wrote no store for $db in $stage/data"
	for d in databases transactions; do
		mkdir -p "$data/$d"
		rm -rf "$data/$d/$db.replaced"
		if [[ -e "$data/$d/$db" ]]; then
			mv "$data/$d/$db" "$data/$d/$db.replaced"
		fi
		mv "$stage/data/$d/$db" "$data/$d/$db"
	done
	rm -rf "$data/databases/$db.replaced" "$data/transactions/$db.replaced"
	mkdir -p "$LOG_DIR"
	cp "$stage/logs/import.log" "$LOG_DIR/import.log"
	rm -rf "$stage"
	log "imported into database $db in $(($(date +%s) - t0))s (log $LOG_DIR/import.log); start the server next"
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
	cypher) cmd_cypher "$@" ;;
	import) cmd_import "$@" ;;
	*)
		echo "usage: $0 install|start|stop|status|wait|cypher 'QUERY'|import ARGS..." >&2
		exit 2
		;;
	esac
}

main "$@"
