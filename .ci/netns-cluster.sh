#!/usr/bin/env bash
# The cluster across real addresses: a wasmflow server and two workers, each in its own network
# namespace, linked by veth pairs to a bridge (in a namespace of its own, so the host's network
# is never touched):
#
#   wfnc-srv  10.77.0.1  wasmflow server --no-local
#   wfnc-w1   10.77.0.2  wasmflow worker w1 --join 10.77.0.1:7946
#   wfnc-w2   10.77.0.3  wasmflow worker w2 --join 10.77.0.1:7946
#   wfnc-sw   bridge br0 with sw-srv, sw-w1, sw-w2
#
# It runs a DAG, cuts w2 off (its link down) while it runs tasks, and checks that the server
# fails w2's tries as lost and retries them on w1 within 10 s, and that the run succeeds. It
# prints each check, exits non-zero on any failure, and removes the namespaces on exit; a run
# left half-done (killed) is cleaned up by the next one.
#
#   .ci/netns-cluster.sh [path/to/wasmflow]      (root; `make test-cluster` builds and runs it)
#
# Environment: KEEP=1 keeps the work folder (homes, logs) for a look afterwards; CUT_BOUND
# (default 10) is the bound in seconds on the cut-off worker's tries being retried.
set -euo pipefail

BIN=${1:-build/bin/wasmflow}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NS_SRV=wfnc-srv NS_W1=wfnc-w1 NS_W2=wfnc-w2 NS_SW=wfnc-sw
ALL_NS="$NS_SRV $NS_W1 $NS_W2 $NS_SW"
SRV_IP=10.77.0.1 W1_IP=10.77.0.2 W2_IP=10.77.0.3
PORT=7946
CUT_BOUND=${CUT_BOUND:-10} # seconds from the cut to w2's tries retried on w1

say() { printf '%s %s\n' "$(date +%T.%3N)" "$*"; }
ok() { say "ok: $*"; }
FAILED=0
bad() {
	say "FAIL: $*"
	FAILED=1
}
die() {
	say "FAIL: $*"
	exit 1
}

if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		exec sudo -n -E "$0" "$@"
	fi
	die "netns-cluster.sh needs root (ip netns, veth): run it as root or with sudo"
fi
command -v ip >/dev/null || die "ip (iproute2) is missing: .ci/install-deps.sh net"
command -v jq >/dev/null || die "jq is missing: .ci/install-deps.sh net"
case "$BIN" in
/*) ;;
*) if [ -x "$BIN" ]; then BIN="$(pwd)/$BIN"; else BIN="$ROOT/$BIN"; fi ;;
esac
[ -x "$BIN" ] || die "no wasmflow binary at $BIN: make build"

# cleanup ends what this script started in its namespaces (now or in an earlier run that was
# killed), then deletes the namespaces, which deletes their links.
cleanup() {
	local ns pids
	for ns in $ALL_NS; do
		if ip netns list | grep -qw "^$ns"; then
			pids=$(ip netns pids "$ns" 2>/dev/null || true)
			if [ -n "$pids" ]; then
				# shellcheck disable=SC2086
				kill -9 $pids 2>/dev/null || true
			fi
		fi
	done
	wait 2>/dev/null || true # reap this run's own, killed above
	for ns in $ALL_NS; do
		if ip netns list | grep -qw "^$ns"; then
			ip netns del "$ns" 2>/dev/null || true
		fi
	done
}

WORK=$(mktemp -d /tmp/wasmflow-netns.XXXXXX)
on_exit() {
	local code=$?
	[ "$FAILED" = 1 ] && code=1
	if [ "$code" -ne 0 ]; then
		for f in "$WORK"/*.log; do
			[ -f "$f" ] || continue
			echo "----- $(basename "$f") (last 40 lines)"
			tail -n 40 "$f"
		done
	fi
	cleanup
	if [ "${KEEP:-}" = 1 ]; then
		say "kept $WORK"
	else
		rm -rf "$WORK"
	fi
	rm -f /tmp/wasmflow-netns-cluster.workdir
	if [ "$code" -eq 0 ]; then
		say "netns-cluster: all checks passed"
	else
		say "netns-cluster: FAILED"
	fi
	exit "$code"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

say "cleaning up what an earlier run may have left"
cleanup
# The work folder of a run that was killed before its trap ran.
STATE=/tmp/wasmflow-netns-cluster.workdir
if [ -f "$STATE" ]; then
	old=$(cat "$STATE")
	case "$old" in /tmp/wasmflow-netns.*) rm -rf "$old" ;; esac
fi
echo "$WORK" >"$STATE"

say "network: $NS_SRV $SRV_IP, $NS_W1 $W1_IP, $NS_W2 $W2_IP on a bridge in $NS_SW"
ip netns add "$NS_SW"
ip -n "$NS_SW" link add br0 type bridge
ip -n "$NS_SW" link set br0 up
ip -n "$NS_SW" link set lo up
for pair in "$NS_SRV:sw-srv:$SRV_IP" "$NS_W1:sw-w1:$W1_IP" "$NS_W2:sw-w2:$W2_IP"; do
	IFS=: read -r ns sw ipaddr <<<"$pair"
	ip netns add "$ns"
	ip -n "$NS_SW" link add "$sw" type veth peer name eth0 netns "$ns"
	ip -n "$NS_SW" link set "$sw" master br0 up
	ip -n "$ns" addr add "$ipaddr/24" dev eth0
	ip -n "$ns" link set eth0 up
	ip -n "$ns" link set lo up
done

# The server's home: the DAG and its modules. Sleepers sleep 10 s on their first try (so they
# run when w2 is cut off) and 1 s on a retry.
SECRET=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
SRV_HOME=$WORK/server
mkdir -p "$SRV_HOME/dags/modules" "$WORK/w1" "$WORK/w2"
cp "$ROOT/examples/dags/modules/echo.wasm" "$ROOT/examples/dags/modules/sleep.wasm" "$SRV_HOME/dags/modules/"
SLEEPERS="s0 s1 s2 s3 s4 s5"
{
	echo "dag_id: netns_cut"
	echo "is_paused_upon_creation: false"
	echo "tasks:"
	echo '  - {id: first, module: modules/echo.wasm, args: ["across namespaces"]}'
	for s in $SLEEPERS; do
		echo "  - {id: $s, module: modules/sleep.wasm, args: ['{{ try_number == 1 ? \"10\" : \"1\" }}'], retries: 1, retry_delay: 0.1, upstream: [first]}"
	done
	echo "  - {id: last, module: modules/echo.wasm, args: [\"done\"], upstream: [${SLEEPERS// /, }]}"
} >"$SRV_HOME/dags/netns_cut.yaml"

SRV_ENV=(WASMFLOW_HOME="$SRV_HOME" WASMFLOW__CORE__LOAD_EXAMPLES=false WASMFLOW__CLUSTER__BIND="$SRV_IP:$PORT"
	WASMFLOW__CLUSTER__SECRET_KEY="$SECRET" WASMFLOW__API__LISTEN="$SRV_IP:8080")
# srv runs a wasmflow command in the server's namespace, on its home.
srv() { ip netns exec "$NS_SRV" env "${SRV_ENV[@]}" "$BIN" "$@"; }

# wait_log FILE PATTERN SECONDS PID: until FILE has PATTERN, while PID lives.
wait_log() {
	local deadline=$((SECONDS + $3))
	until grep -q -- "$2" "$1" 2>/dev/null; do
		kill -0 "$4" 2>/dev/null || die "$(basename "$1" .log) exited before printing '$2'"
		[ "$SECONDS" -lt "$deadline" ] || die "$(basename "$1" .log) did not print '$2' within $3 s"
		sleep 0.1
	done
}

srv db init >/dev/null
srv server --no-local >"$WORK/server.log" 2>&1 &
SRV_PID=$!
wait_log "$WORK/server.log" "the scheduler is running" 30 "$SRV_PID"
grep -q "Cluster $SRV_IP:$PORT" "$WORK/server.log" || die "the server does not say it is reachable at $SRV_IP:$PORT: $(grep Cluster "$WORK/server.log")"
ok "server up in $NS_SRV at $SRV_IP:$PORT"

start_worker() { # name ns ip
	ip netns exec "$2" env WASMFLOW_HOME="$WORK/$1" "$BIN" worker --join "$SRV_IP:$PORT" --secret "$SECRET" \
		--name "$1" --bind "$3:$PORT" --slots 8 >"$WORK/$1.log" 2>&1 &
	echo $!
}
W1_PID=$(start_worker w1 "$NS_W1" "$W1_IP")
W2_PID=$(start_worker w2 "$NS_W2" "$W2_IP")
wait_log "$WORK/w1.log" "joined the cluster" 30 "$W1_PID"
wait_log "$WORK/w2.log" "joined the cluster" 30 "$W2_PID"

members=$(srv cluster members -o json)
for w in "w1:$W1_IP" "w2:$W2_IP"; do
	IFS=: read -r name ipaddr <<<"$w"
	got=$(jq -r --arg n "$name" '.[] | select(.name == $n) | "\(.state) \(.address) \(.data_address)"' <<<"$members")
	if [ "$got" = "alive $ipaddr:$PORT $ipaddr:$((PORT + 1))" ]; then
		ok "$name is an alive member at its own address $ipaddr:$PORT (data channel :$((PORT + 1)))"
	else
		die "cluster members shows $name as '$got', want alive at $ipaddr:$PORT: $members"
	fi
done

srv dags trigger netns_cut --run-id r1 -o json >/dev/null
tis() { srv tasks states-for-dag-run netns_cut r1 -o json; }

# Wait until every sleeper runs; which worker runs which is the server's choice.
deadline=$((SECONDS + 30))
while :; do
	t=$(tis)
	running=$(jq '[.[] | select((.task_id | startswith("s")) and .state == "running")] | length' <<<"$t")
	[ "$running" = 6 ] && break
	[ "$SECONDS" -lt "$deadline" ] || die "the sleepers did not all start: $(jq -c '[.[] | {task_id, state, hostname}]' <<<"$t")"
	sleep 0.2
done
ON_W1=$(jq -r '[.[] | select((.task_id | startswith("s")) and .hostname == "w1") | .task_id] | join(" ")' <<<"$t")
ON_W2=$(jq -r '[.[] | select((.task_id | startswith("s")) and .hostname == "w2") | .task_id] | join(" ")' <<<"$t")
[ -n "$ON_W1" ] && [ -n "$ON_W2" ] || die "the sleepers are not spread over both workers: w1 [$ON_W1], w2 [$ON_W2]"
ok "the six sleepers run: on w1 [$ON_W1], on w2 [$ON_W2]"

say "cutting w2 off: link sw-w2 down"
ip -n "$NS_SW" link set sw-w2 down
cut=$(date +%s%3N)
since_cut_ms() { echo $(($(date +%s%3N) - cut)); }
secs() { printf '%d.%d' $(($1 / 1000)) $(($1 % 1000 / 100)); }

# Each of w2's tries must fail as lost and its retry (try 2) start on w1.
deadline=$((SECONDS + 30))
while :; do
	t=$(tis)
	pending=""
	for s in $ON_W2; do
		row=$(jq -r --arg s "$s" '.[] | select(.task_id == $s) | "\(.try_number) \(.hostname) \(.state)"' <<<"$t")
		case "$row" in
		"2 w1 running" | "2 w1 success") ;;
		*) pending="$pending $s($row)" ;;
		esac
	done
	[ -z "$pending" ] && break
	[ "$SECONDS" -lt "$deadline" ] || die "w2's tries were not retried on w1 within 30 s:$pending"
	sleep 0.2
done
took=$(since_cut_ms)
if [ "$took" -le $((CUT_BOUND * 1000)) ]; then
	ok "w2's tries [$ON_W2] failed as lost and retried on w1 $(secs "$took")s after the cut (bound ${CUT_BOUND}s)"
else
	bad "w2's tries were retried on w1 only $(secs "$took")s after the cut, want within ${CUT_BOUND}s"
fi

deadline=$((SECONDS + 60))
while :; do
	state=$(srv dags state netns_cut r1 | tr -d '[:space:]')
	[ "$state" = success ] || [ "$state" = failed ] && break
	[ "$SECONDS" -lt "$deadline" ] || die "the run did not end within 60 s of the cut: $(tis | jq -c '[.[] | {task_id, state, try_number, hostname}]')"
	sleep 0.3
done
[ "$state" = success ] && ok "the run ended success $(secs "$(since_cut_ms)")s after the cut" || bad "the run ended $state"

t=$(tis)
for s in $ON_W2; do
	row=$(jq -r --arg s "$s" '.[] | select(.task_id == $s) | "\(.state) \(.try_number) \(.hostname)"' <<<"$t")
	[ "$row" = "success 2 w1" ] && ok "$s: success at try 2 on w1" || bad "$s: $row, want success at try 2 on w1"
	log=$(srv tasks logs netns_cut r1 "$s" --try 1)
	grep -q "lost: worker w2 died" <<<"$log" && ok "$s try 1 log: $(grep -o 'lost: worker w2 died' <<<"$log")" ||
		bad "$s try 1 log does not say it was lost: $log"
done
for s in $ON_W1 first last; do
	row=$(jq -r --arg s "$s" '.[] | select(.task_id == $s) | "\(.state) \(.try_number) \(.hostname)"' <<<"$t")
	case "$row" in
	"success 1 w1") ok "$s: success at try 1 on w1" ;;
	"success 1 w2") [ "$s" = first ] && ok "$s: success at try 1 on w2, before the cut" || bad "$s: $row" ;;
	*) bad "$s: $row, want success at try 1" ;;
	esac
done
members=$(srv cluster members -o json)
state=$(jq -r '.[] | select(.name == "w2") | .state' <<<"$members")
[ "$state" != alive ] && ok "cluster members: w2 is ${state:-not listed}, w1 is $(jq -r '.[] | select(.name == "w1") | .state' <<<"$members")" ||
	bad "cluster members still shows the cut-off w2 alive"

exit "$FAILED"
