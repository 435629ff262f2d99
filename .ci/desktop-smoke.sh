#!/bin/bash
# The desktop app's smoke test (make test-desktop): start the real window under Xvfb, prove it
# rendered the app (the views report ready to the embedded API, with live events flowing, and a
# screenshot that is not blank), open New DAG from its File menu's key, refuse a second instance on the same home, quit while a task
# runs, check the shutdown left nothing running, and that the interrupted task runs at the next
# start without using a retry.
#
#   .ci/desktop-smoke.sh build/bin/wasmflow [artifacts dir]     (the binary from make desktop)
#
# Needs xvfb-run and ImageMagick (.ci/install-deps.sh display).
set -euo pipefail

bin=$(realpath "$1")
art=$(mkdir -p "${2:-e2e/artifacts}" && realpath "${2:-e2e/artifacts}")
if [ -z "${DISPLAY:-}" ]; then
	exec xvfb-run -a -s "-screen 0 1400x900x24" "$0" "$@"
fi

home=$(mktemp -d)
# On the way out, stop what still runs (and wait: the app may be in its shutdown grace).
trap 'kill $(jobs -p) 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$home"' EXIT
export WASMFLOW_HOME=$home WASMFLOW__CORE__LOAD_EXAMPLES=false
# Cluster ports: gossip and data channel for the app (port, port+1) and a worker (+4, +5).
taken() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for _ in $(seq 20); do
	port=$(shuf -i 20000-39990 -n 1)
	taken "$port" || taken $((port + 1)) || taken $((port + 4)) || taken $((port + 5)) || break
done
export WASMFLOW__CLUSTER__BIND=127.0.0.1:$port
mkdir -p "$home/dags/modules"
cp examples/dags/modules/sleep.wasm examples/dags/modules/echo.wasm "$home/dags/modules/"
# The first try sleeps longer than the app's shutdown grace (10 s); the next one is quick.
cat > "$home/dags/smoke.yaml" <<'YAML'
dag_id: smoke
is_paused_upon_creation: false
tasks:
  - {id: long, module: modules/sleep.wasm, args: ["{{ try_number == 1 ? '120' : '0.1' }}"], retries: 0}
  - {id: after, module: modules/echo.wasm, args: ["done"], upstream: [long]}
YAML
# Only a worker serves queue "remote": the app runs the default queue itself.
cat > "$home/dags/remote_smoke.yaml" <<'YAML'
dag_id: remote_smoke
is_paused_upon_creation: false
tasks:
  - {id: far, module: modules/echo.wasm, args: ["from a worker"], queue: remote}
YAML

fail() {
	echo "desktop-smoke: FAIL: $*" >&2
	for f in "$home"/window*.log; do echo "--- $f" >&2; cat "$f" >&2; done
	exit 1
}
# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s.
wait_for() {
	local secs=$1 what=$2
	shift 2
	for _ in $(seq $((secs * 2))); do
		if "$@" >/dev/null; then return 0; fi
		sleep 0.5
	done
	fail "$what (waited ${secs}s)"
}
state_of() { # TASK [DAG RUN]: its state in run smoke1 of smoke, or RUN of DAG
	"$bin" tasks states-for-dag-run "${2:-smoke}" "${3:-smoke1}" -o plain 2>/dev/null | awk -v t="$1" '$1 == t {print $2}'
}
is_state() { test "$(state_of "$1" "${3:-smoke}" "${4:-smoke1}")" = "$2"; } # TASK STATE [DAG RUN]
rendered() { # LOG: the window said its views rendered; fails at once if the app died
	kill -0 "$pid" 2>/dev/null || fail "the app exited before its window rendered ($1)"
	grep -q "the window rendered" "$home/$1"
}
start_window() { # LOG: starts the window, waits until its views rendered
	"$bin" >"$home/$1" 2>&1 &
	pid=$!
	wait_for 90 "the window reports it rendered the app ($1)" rendered "$1"
	grep -q "live events: true" "$home/$1" || fail "the window's live event stream did not deliver (server-sent events through the Wails asset server)"
}

echo "desktop-smoke: starting the window on $home"
start_window window1.log
first=$pid
sleep 1 # let the first paint settle before the screenshot
import -window root "$art/desktop-window.png" || fail "screenshot with ImageMagick's import"
colours=$(identify -format %k "$art/desktop-window.png") || fail "identify the screenshot"
[ "$colours" -gt 16 ] || fail "the screenshot has $colours colours: the window looks blank"
echo "desktop-smoke: the window rendered the DAGs view with live events; screenshot $art/desktop-window.png ($colours colours)"

# File > New DAG (its Ctrl+N, as a user presses it): the editor opens on a DAG that validates.
wins=$(xdotool search --name wasmflow) || fail "find the window with xdotool"
for w in $wins; do xdotool windowfocus "$w" 2>/dev/null || true; done # GTK's unmapped helper windows refuse focus
xdotool key --clearmodifiers ctrl+n
wait_for 30 "the New DAG view after Ctrl+N" grep -q "the window rendered #/author" "$home/window1.log"
sleep 1
import -window root "$art/desktop-new-dag.png" || fail "screenshot of New DAG"
echo "desktop-smoke: Ctrl+N opened New DAG in the window; screenshot $art/desktop-new-dag.png"

"$bin" dags trigger smoke --run-id smoke1 >/dev/null
wait_for 60 "task long of run smoke1 running in the window's scheduler" is_state long running
echo "desktop-smoke: a run started from the CLI runs in the window's scheduler"

# One window per home: a second start is refused (it says why, in a dialog and on stderr).
"$bin" >"$home/window2.log" 2>&1 &
second=$!
wait_for 60 "the second instance to refuse the home" grep -q "running on this home" "$home/window2.log"
# It shows its dialog, and no window of its own: the first window stays the only one visible.
wait_for 30 "the second instance's dialog" xdotool search --onlyvisible --name "^wasmflow cannot start$"
windows=$(xdotool search --onlyvisible --name "^wasmflow (\(|—)" | wc -l)
[ "$windows" -eq 1 ] || fail "$windows app windows are visible, want the first one only (the second shows only its dialog)"
import -window root "$art/desktop-second-instance.png" || fail "screenshot of the second instance"
kill "$second" 2>/dev/null || true
wait "$second" 2>/dev/null || true
kill -0 "$first" || fail "the first window died when a second one started"
echo "desktop-smoke: a second instance on the same home was refused, with only its dialog"

# Quit (SIGTERM, as a session logout sends) while the task runs: the window closes, the
# scheduler gives the try its grace, then stops it and records it.
kill -TERM "$first"
for _ in $(seq 60); do kill -0 "$first" 2>/dev/null || break; sleep 0.5; done
kill -0 "$first" 2>/dev/null && fail "the app did not exit within 30 s of SIGTERM"
wait "$first" || fail "the app exited with $? after SIGTERM"
grep -q "wasmflow: stopped" "$home/window1.log" || fail "the app did not report a clean stop"

"$bin" db check >/dev/null || fail "wasmflow db check after the shutdown"
states=$("$bin" tasks states-for-dag-run smoke smoke1 -o plain)
echo "$states" | awk '$2 == "running" || $2 == "queued" {bad = 1} END {exit !bad}' && fail "a task was left running or queued: $states"
[ "$(state_of long)" != failed ] || fail "the interrupted task was failed (it has no retries): $states"
echo "desktop-smoke: the shutdown left nothing running ($(echo "$states" | awk '{printf "%s=%s ", $1, $2}'))"

# Next start: the interrupted task runs again (try 2, no retry used) and the run succeeds.
start_window window3.log
wait_for 60 "run smoke1 to succeed after the restart" is_state after success
echo "desktop-smoke: after a restart the interrupted task ran again and the run succeeded"

# The app is a cluster server: a worker joins with the command it printed and runs the
# task of a queue only it serves.
join=$(sed -n 's/^wasmflow: join workers with: wasmflow //p' "$home/window3.log")
[ -n "$join" ] || fail "the app printed no join command"
# shellcheck disable=SC2086 # the printed command's words (--join HOST --secret S)
WASMFLOW_HOME=$home/worker-home "$bin" $join --name smoke-worker --queues remote --bind 127.0.0.1:$((port + 4)) >"$home/window-worker.log" 2>&1 &
worker=$!
"$bin" dags trigger remote_smoke --run-id r1 >/dev/null
wait_for 60 "the worker to run task far of queue remote" is_state far success remote_smoke r1
kill -TERM "$worker"
wait "$worker" || fail "the worker exited with $? after SIGTERM"
echo "desktop-smoke: a worker joined the app with its join command and ran a task of its queue"

kill -TERM "$pid"
wait "$pid" || fail "the app exited with $? after SIGTERM"
echo "desktop-smoke: all passed"
