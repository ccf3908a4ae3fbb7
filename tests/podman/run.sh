#!/usr/bin/env bash
# run.sh: podman drives chapter 11's runtime, as `make test-podman` runs it.
#
#     usage: tests/podman/run.sh BUILD_DIR
#
# As root, on the real machine: podman is the client, and only the worked
# runtime, BUILD_DIR/bin/runtime, is the trusted program it drives (a
# student's runtime is never run this way).  Imports chapter 7's image
# (BUILD_DIR/image/busybox.tar) under a name of its own, then checks what
# chapter 11 promises: run --rm, the exit status, -t in tmux, -d,
# ps, stop, kill -s and rm -f as with runc, and the options --hostname,
# --read-only, --memory, --pids-limit, --user, --cap-drop, --network=none
# and the default network, joined by path.  Then the book's transcripts of
# podman (book/transcripts.py podman).  Removes its containers and image,
# and checks that they left no state, mount, cgroup or process behind.
# Installs podman, runc, conmon and tmux when they are missing.
# Prints "podman: N passed, M failed" last; exit 0 only if M is 0, 2 when
# it cannot run here (not root).
set -euo pipefail

build=$(cd "${1:?usage: tests/podman/run.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
runtime="$build/bin/runtime"
if [ "$(id -u)" -ne 0 ]; then
	echo "test-podman: needs root: podman drives the runtime as root" >&2
	exit 2
fi
for f in "$runtime" "$build/image/busybox.tar"; do
	[ -e "$f" ] || { echo "test-podman: no $f: run \`make\` first" >&2; exit 2; }
done
missing=()
for tool in podman:podman runc:runc conmon:conmon tmux:tmux; do
	command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null; }
fi

tmp=$(mktemp -d)
# machine: the machine as tools/host-state.sh sees it, but for processes
# (others' may come and go) and what podman makes on its first container
# and keeps: its parent cgroups and its bridge.
machine() {
	"$here/../../tools/host-state.sh" --without-podman | grep -v '^leftover '
}
machine >"$tmp/before"
tag=$$
image=localhost/workbook-runtime-test:$tag
ours=()	# the containers we made, by id: $tmp/ids, read back by read_ids
# podman reads this file instead of /etc/containers/containers.conf: the
# limits it sets by default must be ones this machine lets it set (a VM
# may withhold CAP_SYS_RESOURCE), and the network is podman's default.
export CONTAINERS_CONF="$tmp/containers.conf"
printf '%s\n' '[containers]' \
	'default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]' >"$CONTAINERS_CONF"
pod=(podman --runtime "$runtime" --cgroup-manager=cgroupfs)
runc_pod=(podman --runtime "$(command -v runc)" --cgroup-manager=cgroupfs)
run=(run --pull=never --network=none)
passed=0
failed=0

cleanup() {
	read_ids
	for id in "${ours[@]}"; do
		podman rm -f -t 0 "$id" >/dev/null 2>&1 || true
	done
	podman rmi -f "$image" >/dev/null 2>&1 || true
	tmux kill-session -t "workbook-$tag" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

# check NAME WANT GOT: counts a check that GOT equals WANT.
check() {
	if [ "$2" = "$3" ]; then
		echo "ok - $1"
		passed=$((passed + 1))
	else
		printf 'FAIL: %s\n  expected: %s\n  got:      %s\n' "$1" "$2" "$3"
		failed=$((failed + 1))
	fi
}

# out CMD...: what CMD prints on stdout and stderr, and its status, on one
# line each: "OUTPUT... | status N".
out() {
	local rc=0 text
	text=$(timeout 120 "$@" 2>&1) || rc=$?
	printf '%s | status %d' "$(tr '\n' ' ' <<<"$text" | sed 's/ $//')" "$rc"
}

# detached CMD...: starts a container with -d, notes its id in $tmp/ids
# (it runs in a subshell: a variable would be lost) and prints it.
detached() {
	local id
	id=$(timeout 60 "$@")
	echo "$id" >>"$tmp/ids"
	printf '%s' "$id"
}

# read_ids: sets ours to the ids of the containers made so far.
read_ids() {
	ours=()
	[ ! -e "$tmp/ids" ] || mapfile -t ours <"$tmp/ids"
}

# status ID: podman's word for the container's state and its exit code
# (not `ps`'s column, which says for how long).
status() {
	podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$1"
}

# lifecycle RUNTIME...: -d, ps, stop (SIGTERM obeyed; SIGTERM ignored, then
# SIGKILL past the timeout), kill -s, rm -f, with the podman command given;
# prints what it saw, one line, so that two runtimes can be compared.
lifecycle() {
	local p=("$@") a b c t0 t1
	a=$(detached "${p[@]}" "${run[@]}" -d "$image" sh -c 'trap "exit 3" TERM; while :; do sleep 0.1; done')
	b=$(detached "${p[@]}" "${run[@]}" -d "$image" sleep 1000)
	c=$(detached "${p[@]}" "${run[@]}" -d "$image" sh -c 'trap "echo got USR1" USR1; while :; do sleep 0.1; done')
	printf 'ps: %s %s %s; ' "$(status "$a")" "$(status "$b")" "$(status "$c")"
	timeout 60 "${p[@]}" stop -t 5 "$a" >/dev/null
	t0=$(date +%s)
	timeout 60 "${p[@]}" stop -t 1 "$b" >/dev/null 2>&1
	t1=$(date +%s)
	printf 'stop: %s, %s after %ss or more; ' "$(status "$a")" "$(status "$b")" \
		"$([ $((t1 - t0)) -ge 1 ] && echo 1)"
	sleep 0.3
	timeout 60 "${p[@]}" kill -s USR1 "$c" >/dev/null
	sleep 0.5
	printf 'kill -s USR1: %s, says %s; ' "$(status "$c")" "$(podman logs "$c" 2>&1 | tr '\n' ' ')"
	timeout 60 "${p[@]}" rm -f -t 1 "$c" >/dev/null
	printf 'rm -f: %s' "$(podman ps -a -q --filter "id=$c" | wc -l)"
	podman rm "$a" "$b" >/dev/null
}

echo "== podman drives the runtime"
timeout 120 podman import -q "$build/image/busybox.tar" "$image" >/dev/null
check "run --rm echo hi" "hi | status 0" "$(out "${pod[@]}" "${run[@]}" --rm "$image" echo hi)"
check "run --rm sh -c 'exit 7' exits 7" " | status 7" \
	"$(out "${pod[@]}" "${run[@]}" --rm "$image" sh -c 'exit 7')"
check "a command not found exits 127" "127" \
	"$(out "${pod[@]}" "${run[@]}" --rm "$image" no-such-command | sed 's/.*status //')"

# -t: a terminal, seen in tmux as a person would.  The pane says "end"
# once podman has ended (and removed the container): only then is the
# session closed.
tmux new-session -d -s "workbook-$tag" -x 80 -y 10 \
	"$(printf '%q ' "${pod[@]}" "${run[@]}" --rm -t "$image" sh -c 'tty; ls -l /dev/console | cut -c1'); echo end; sleep 60"
tty=
for _ in $(seq 300); do
	tty=$(tmux capture-pane -p -t "workbook-$tag" | sed '/^$/d' | tr -d '\r' | tr '\n' ' ')
	[ "${tty% end }" = "$tty" ] || break
	sleep 0.1
done
tmux kill-session -t "workbook-$tag"
check "run -t: tty names a terminal, and /dev/console is one" "/dev/pts/0 c end" "${tty% }"

theirs=$(lifecycle "${runc_pod[@]}")
mine=$(lifecycle "${pod[@]}")
check "-d, ps, stop, kill -s and rm -f as with runc ($theirs)" "$theirs" "$mine"

check "--hostname" "box7 | status 0" \
	"$(out "${pod[@]}" "${run[@]}" --rm --hostname box7 "$image" hostname)"
check "--read-only: / refuses writes, /tmp takes them" \
	"touch: /x: Read-only file system tmp | status 0" \
	"$(out "${pod[@]}" "${run[@]}" --rm --read-only "$image" sh -c 'touch /x; touch /tmp/x && echo tmp')"
limits='cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/pids.max 2>/dev/null ||
	cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max'
check "--memory 64m --pids-limit 10: the container's cgroup" "67108864 10 | status 0" \
	"$(out "${pod[@]}" "${run[@]}" --rm --memory 64m --pids-limit 10 "$image" sh -c "$limits")"
check "--pids-limit 10: the eleventh process is refused" \
	"sh: can't fork: Resource temporarily unavailable | status 2" \
	"$(out "${pod[@]}" "${run[@]}" --rm --pids-limit 10 "$image" sh -c \
	'for i in 1 2 3 4 5 6 7 8 9 10 11; do sleep 2 & done; wait')"
check "--user 1000:1000" "1000 1000 | status 0" \
	"$(out "${pod[@]}" "${run[@]}" --rm --user 1000:1000 "$image" sh -c 'id -u; id -g')"
check "--cap-drop CAP_CHOWN: chown refused" \
	"chown: /tmp: Operation not permitted | status 1" \
	"$(out "${pod[@]}" "${run[@]}" --rm --cap-drop CAP_CHOWN "$image" chown 1 /tmp)"
check "--network=none: lo alone" "lo | status 0" \
	"$(out "${pod[@]}" "${run[@]}" --rm "$image" sh -c "ls /sys/class/net")"
check "the default network: a namespace podman made, joined by path" "eth0 lo | status 0" \
	"$(out "${pod[@]}" run --pull=never --rm "$image" sh -c "ls /sys/class/net")"

echo "== The book's transcripts of podman"
if IMAGE="$image" "$here/../../book/transcripts.py" podman >"$tmp/transcripts" 2>&1; then
	check "the book's podman transcripts match a real run" 0 0
else
	cat "$tmp/transcripts"
	check "the book's podman transcripts match a real run" 0 1
fi

echo "== Nothing left behind"
read_ids
left=$(podman ps -a -q --filter "ancestor=$image" | wc -l)
for id in "${ours[@]}"; do
	podman rm -f -t 0 "$id" >/dev/null 2>&1 || true
done
check "every container of the checks is gone from podman's storage" 0 "$left"
podman rmi -f "$image" >/dev/null
check "the test's image is gone" 0 "$(podman images -q --filter "reference=$image" | wc -l)"
check "no container state in /run/runtime" 0 "$(find /run/runtime -mindepth 1 2>/dev/null | wc -l)"
stray=0
for id in "${ours[@]}"; do
	grep -q "$id" /proc/self/mountinfo && stray=$((stray + 1))
	[ -z "$(find /sys/fs/cgroup -maxdepth 4 -name "*$id*" 2>/dev/null)" ] || stray=$((stray + 1))
done
check "no mount or cgroup of the checks' containers" 0 "$stray"
check "no process runs in the image's name" 0 "$(pgrep -f -c "workbook-runtime-test:$tag" || true)"
stray=0
for id in "${ours[@]}"; do
	stray=$((stray + $(pgrep -f -c -- "$id" || true)))
done
check "no conmon or runtime left for the checks' containers" 0 "$stray"
check "no process of the runtime's left" 0 "$(pgrep -x -c runtime || true)"
machine >"$tmp/after"
check "tools/host-state.sh: the machine as it was" "" "$(diff "$tmp/before" "$tmp/after" | tr '\n' ' ')"

echo "podman: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
