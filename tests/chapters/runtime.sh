#!/usr/bin/env bash
# runtime.sh: chapter 11's suite, the runtime's lifecycle and its errors.
#
#     usage: tests/chapters/runtime.sh BUILD_DIR [RUNTIME]
#
# Runs in one throwaway sandbox (book/sandbox.sh: bubblewrap, root of a user
# namespace, never the machine), with RUNTIME (a mutant, say) in place of
# BUILD_DIR/bin/runtime when given.  A bundle is made from chapter 7's
# image; then create, start, state, kill and delete are driven as conmon
# drives them, and what they did is looked at from outside the container:
# /proc, the pid file, the files the program leaves in its root, the state
# folder.  Each test prints one TAP line, "ok - runtime::NAME" or
# "not ok - runtime::NAME (why)"; the exit status is 0 only if all passed.
set -euo pipefail

build=${1:?usage: tests/chapters/runtime.sh BUILD_DIR [RUNTIME]}
if [ -n "${2:-}" ]; then
	SANDBOX_RUNTIME=$(realpath "$2")
	export SANDBOX_RUNTIME
fi
[ "$(realpath "$build")" = "$(realpath "$(dirname "$0")/../../build")" ] ||
	{ echo "runtime.sh: the sandbox takes the workbook's own build/" >&2; exit 2; }

inside=$(cat <<'SCRIPT'
set -u
rt="/workbook/build/bin/runtime --root /tmp/state"
bundle=/tmp/bundle
rootfs=/workbook/build/image/busybox
mkdir -p "$bundle" /tmp/state
ln -s "$rootfs" "$bundle/rootfs"
failures=0

# config ARGS_JSON [OCI_VERSION]: writes the bundle's config.json.
config() {
	cat >"$bundle/config.json" <<JSON
{"ociVersion": "${2:-1.0.2}", "root": {"path": "rootfs"}, "hostname": "box",
 "process": {"args": $1, "cwd": "/", "env": ["PATH=/bin"],
             "user": {"uid": 0, "gid": 0}},
 "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "mode=755"]}],
 "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"},
                          {"type": "uts"}, {"type": "ipc"}]}}
JSON
}

# result NAME WHY: a test's line; WHY empty means it passed.
result() {
	if [ -z "$2" ]; then
		echo "ok - runtime::$1"
	else
		echo "not ok - runtime::$1 ($2)"
		failures=$((failures + 1))
	fi
}

# try CMD...: runs the runtime with CMD; sets rc, out and err (its stderr).
# Files, not a pipe: the container keeps what create gave it open.
try() {
	rc=0
	$rt "$@" </dev/null >/tmp/out 2>/tmp/err || rc=$?
	out=$(cat /tmp/out)
	err=$(cat /tmp/err)
}

# refused WHAT WORD: why the last try was not a refusal in one line naming
# WORD ("" if it was).
refused() {
	if [ "$rc" -eq 0 ]; then
		echo "$1 succeeded; expected an error"
	elif [ "$(printf '%s\n' "$err" | wc -l)" -ne 1 ] || [ -z "$err" ]; then
		echo "$1 said \"$err\"; expected one line"
	elif [ "${err#*"$2"}" = "$err" ]; then
		echo "$1 said \"$err\"; expected it to name $2"
	fi
}

# status ID: the status field of `state ID`.
status() {
	$rt state "$1" 2>/dev/null | sed -n 's/.*"status": "\([a-z]*\)".*/\1/p'
}

# wait_for FILE: waits up to 3 s for FILE; true if it came.
wait_for() {
	for _ in $(seq 60); do
		[ -e "$1" ] && return 0
		sleep 0.05
	done
	return 1
}

# alive PID: true if PID runs and is not a zombie.
alive() {
	[ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# leftovers ID: what of ID is left: its state folder, processes.
leftovers() {
	local left=""
	[ ! -e "/tmp/state/$1" ] || left="its state folder /tmp/state/$1"
	if pgrep -x runtime >/dev/null; then left="$left a runtime process"; fi
	echo "$left"
}

mounts_before=$(cat /proc/self/mountinfo)
cd "$bundle"

# run: the program's output and status pass through.
config '["sh", "-c", "echo hi from $(hostname); exit 7"]'
try run run1
why=""
[ "$rc" -eq 7 ] || why="run exited $rc; expected the program's 7 ($err)"
[ "$out" = "hi from box" ] || why="$why; run printed \"$out\"; expected \"hi from box\""
[ -z "$(leftovers run1)" ] || why="$why; left $(leftovers run1)"
result run_passes_output_and_status "${why#; }"

# create, then start: the program runs only once started.
config '["sh", "-c", "trap \"touch /got-usr1\" USR1; touch /started; while :; do sleep 0.05; done"]'
rm -f "$rootfs/started" "$rootfs/got-usr1"
try create --bundle "$bundle" --pid-file /tmp/c1.pid c1
why=""
pid=$(cat /tmp/c1.pid 2>/dev/null || true)
if [ "$rc" -ne 0 ]; then
	why="create failed: $err"
elif ! [[ "$pid" =~ ^[0-9]+$ ]]; then
	why="the pid file holds \"$pid\"; expected digits alone, no newline"
elif ! alive "$pid"; then
	why="the pid file's process $pid does not run after create"
else
	sleep 0.3
	[ ! -e "$rootfs/started" ] || why="the program ran at create; it must wait for start"
	[ "$(status c1)" = created ] || why="$why; state says $(status c1) after create; expected created"
	parent=$(sed 's/.*) . \([0-9]*\) .*/\1/' "/proc/$pid/stat")
	[ "$(cat "/proc/$parent/comm")" != runtime ] ||
		why="$why; the pid file's process has a runtime as its parent, a helper left between conmon and the container"
	try start c1
	[ "$rc" -eq 0 ] || why="$why; start failed: $err"
	wait_for "$rootfs/started" || why="$why; the program did not run after start"
	[ "$(status c1)" = running ] || why="$why; state says $(status c1) after start; expected running"
	[ "$($rt state c1 | sed -n 's/.*"pid": \([0-9]*\).*/\1/p')" = "$pid" ] ||
		why="$why; state's pid is not the pid file's $pid"
fi
result create_waits_for_start "${why#; }"

try start c1
result start_of_running_refused "$(refused "start of a running container" c1)"

try delete c1
why=$(refused "delete of a running container without --force" c1)
alive "$pid" || why="$why; its process $pid was killed"
[ -e /tmp/state/c1 ] || why="$why; its state was removed"
result delete_of_running_refused "${why#; }"

try kill c1 USR1
why=""
[ "$rc" -eq 0 ] || why="kill c1 USR1 failed: $err"
wait_for "$rootfs/got-usr1" || why="$why; the program did not get SIGUSR1"
try kill c1 9
[ "$rc" -eq 0 ] || why="$why; kill c1 9 failed: $err"
for _ in $(seq 60); do alive "$pid" || break; sleep 0.05; done
! alive "$pid" || why="$why; SIGKILL by number did not stop $pid"
result kill_by_name_and_number "${why#; }"

s=$(status c1)
result state_tells_stopped "$([ "$s" = stopped ] || echo "state says $s once its process has ended; expected stopped")"

try delete c1
why=""
[ "$rc" -eq 0 ] || why="delete of a stopped container failed: $err"
[ -z "$(leftovers c1)" ] || why="$why; delete left $(leftovers c1)"
result delete_removes_the_state "${why#; }"

for cmd in state start "kill nosuch 9" delete; do
	[ "$cmd" = "kill nosuch 9" ] || cmd="$cmd nosuch"
	# shellcheck disable=SC2086
	try $cmd
	why=$(refused "$cmd" nosuch)
	[ -z "$why" ] && continue
	break
done
result unknown_id_refused "$why"

config '["sleep", "1000"]'
try create --bundle "$bundle" --pid-file /tmp/c2.pid c2
pid=$(cat /tmp/c2.pid 2>/dev/null || true)
try create --bundle "$bundle" --pid-file /tmp/c2b.pid c2
why=$(refused "a second create of c2" c2)
[ "$(status c2)" = created ] || why="$why; the first c2 is $(status c2) now; expected created"
[ "$(cat /tmp/c2.pid 2>/dev/null)" = "$pid" ] && alive "$pid" ||
	why="$why; the first c2's process $pid is gone"
result duplicate_id_refused "${why#; }"

# The same pid, but another process (here the sandbox's PID 1, which
# started earlier): c2's process has ended, whatever its pid says.
cp /tmp/state/c2/state.json /tmp/c2.state
sed -i "s/\"pid\": *$pid\b/\"pid\": 1/" /tmp/state/c2/state.json
s=$(status c2)
cp /tmp/c2.state /tmp/state/c2/state.json
result state_after_pid_reuse "$([ "$s" = stopped ] || echo "state says $s when the pid names another process; expected stopped")"

try delete --force c2
why=""
[ "$rc" -eq 0 ] || why="delete --force of a created container failed: $err"
for _ in $(seq 60); do alive "$pid" || break; sleep 0.05; done
! alive "$pid" || why="$why; its process $pid still runs"
[ -z "$(leftovers c2)" ] || why="$why; delete --force left $(leftovers c2)"
result delete_force_kills_and_removes "${why#; }"

config '["true"]' 2.0.0
try create --bundle "$bundle" --pid-file /tmp/c3.pid c3
why=$(refused "create with ociVersion 2.0.0" ociVersion)
[ -z "$(leftovers c3)" ] || why="$why; it left $(leftovers c3)"
[ ! -e /tmp/c3.pid ] || why="$why; it left the pid file"
result bad_oci_version_refused "${why#; }"

printf '{"ociVersion": "1.0.2", "root": ' >"$bundle/config.json"
try create --bundle "$bundle" --pid-file /tmp/c4.pid c4
why=$(refused "create with a config.json cut short" config.json)
[ -z "$(leftovers c4)" ] || why="$why; it left $(leftovers c4)"
result malformed_config_refused "${why#; }"

why=""
[ "$(cat /proc/self/mountinfo)" = "$mounts_before" ] || why="the sandbox's mount table changed"
[ -z "$(ls /tmp/state)" ] || why="$why; states left: $(ls /tmp/state | tr "\n" " ")"
left=$(ps -e -o pid=,comm= | grep -Ev ' (bash|bwrap|ps|grep|tr)$' | tr '\n' ' ')
[ -z "$left" ] || why="$why; processes left: $left"
result nothing_left_behind "${why#; }"
exit "$failures"
SCRIPT
)

here=$(cd "$(dirname "$0")" && pwd)
rc=0
timeout 60 "$here/../../book/sandbox.sh" <<<"$inside" || rc=$?
if [ "$rc" -eq 125 ] || [ "$rc" -eq 124 ]; then
	echo "not ok - runtime::sandbox (the sandbox could not run the suite: status $rc)"
fi
exit "$rc"
