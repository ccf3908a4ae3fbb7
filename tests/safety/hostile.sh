#!/usr/bin/env bash
# hostile.sh: hostile and broken submissions, graded like any other and next
# to well-behaved ones; the machine must be as it was afterwards.
#
#     usage: tests/safety/hostile.sh BUILD_DIR
#
# Assembles two graded folders, BUILD_DIR/hostile/work-a and work-b, in which
# each exercise's file is either a fixture of tests/safety/hostile/ or the
# exercise's reference solution (the table below), and grades both at once
# with tests/grader/grade.sh, inside the guard, within BOUND seconds.  Then:
#   1. each fixture's exercise failed, with the reason the table names;
#   2. each solution's exercise passed, though graded beside the fixtures;
#   3. the machine is as before: tools/host-state.sh (hostname, mounts,
#      interfaces, IPC objects, leftover processes), no process of the
#      grading left, checksums of the repository and of the graded folders,
#      and none of the files the fixtures tried to write.
#
# The guard (DEVELOPERS.md): the grading runs under unshare(1), in PID,
# mount, UTS, IPC and network namespaces of its own (and a user namespace
# when not root), so that kill(-1, SIGKILL), a fork bomb, a mount or a new
# hostname could not reach the machine even if the sandbox failed to start
# or to contain them; all of it dies with the guard, which `timeout` ends at
# the bound.  The checks look from outside the guard.
#
# Prints a line per exercise and "hostile: N passed, M failed" last; exit 0
# only if M is 0, 2 if the sandbox cannot run here.
set -euo pipefail

# Inside the guard (see below): "--guarded BUILD HOSTILE [UID GID]" sets the
# guard up and becomes the caller again; "--grade BUILD HOSTILE" grades.
case "${1:-}" in
--guarded)
	readlink /proc/self/ns/pid >"$3/guard.pidns"
	# Criterion names its sockets /tmp/criterion_PID.sock, and PIDs start
	# at 1 in every new namespace: another guard's would collide.  (A
	# workbook under /tmp keeps the machine's /tmp, and that risk.)
	case "$2/ $(cd "$(dirname "$0")/../.." && pwd)/" in
	/tmp/* | *" /tmp/"*) ;;
	*) mount -t tmpfs -o mode=1777 tmpfs /tmp ;;
	esac
	if [ $# -eq 5 ]; then
		exec unshare --user --map-user="$4" --map-group="$5" "$0" --grade "$2" "$3"
	fi
	exec "$0" --grade "$2" "$3" ;;
--grade)
	cd "$(dirname "$0")/../.."
	GRADE_ONLY=$(cat "$3/only-a") tests/grader/grade.sh -o "$3/grade-a" "$2" "$3/work-a" >"$3/table-a" 2>&1 &
	GRADE_ONLY=$(cat "$3/only-b") tests/grader/grade.sh -o "$3/grade-b" "$2" "$3/work-b" >"$3/table-b" 2>&1 &
	for _ in a b; do
		rc=0
		wait -n || rc=$?
		[ "$rc" -le 1 ] || exit "$rc"	# 1: some test failed, as it must
	done
	exit 0 ;;
esac

build=${1:?usage: tests/safety/hostile.sh BUILD_DIR}
cd "$(dirname "$0")/../.."
repo=$(pwd)
tools/doctor.sh --quiet || exit 2
mkdir -p "$build/hostile"
build=$(cd "$build" && pwd)
hostile="$build/hostile"
# A fixture that escaped every per-run limit would hold the grading until
# the bound.  It is no speed goal (bench/grade.sh measures speed): the
# grading takes about 20 s on an idle machine and three times that under
# load, and the bound leaves room for both.
bound=240
passed=0
failed=0

# pass|fail MESSAGE: counts and prints one check.
pass() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "not ok - $1"; failed=$((failed + 1)); }

# Round, exercise, and what its file is: a fixture, the test it is graded
# on (one is enough to fail the exercise; the solutions run every test) and
# the words its grade must hold, or "solution".  Every fixture's file is
# tests/safety/hostile/NAME.c; write-* are write.c with a TARGET each.
read -r -d '' plan <<'PLAN' || true
a 01-net/lo_up             loop          lo_is_up_inside                   time limit
a 01-net/veth              segfault      child_end_is_up_with_its_address  killed by signal 11
a 02-mount/private_tmp     mount-shared  parent_files_hidden_inside        its parent's mount namespace
a 02-mount/volume          write-repo    volume_readable_inside            No such file or directory
a 03-uts/hostname          sethostname   parent_keeps_its_name             the hostname was
a 03-uts/domainname        memhog        child_has_the_given_domain        memory limit
a 04-ipc/mailbox           forkbomb      command_receives_the_message      process limit
a 04-ipc/mqueue           solution
a 05-pid/reaper            umount-proc   command_runs_under_an_init        PID namespace of its own
a 05-pid/init             solution
a 06-user/uid_map          killall       root_inside                       status 137
a 06-user/rootless        solution
b 01-net/lo_up             abort         lo_is_up_inside                   killed by signal 6
b 01-net/veth             solution
b 02-mount/private_tmp     write-home    parent_files_hidden_inside        No such file or directory
b 02-mount/volume          write-work    volume_readable_inside            No such file or directory
b 03-uts/hostname          write-etc     child_has_the_given_name          Read-only file system
b 03-uts/domainname       solution
b 04-ipc/mailbox           daemon        command_receives_the_message      left a process behind
b 04-ipc/mqueue            flood         listing_shows_own_queues          output limit
b 05-pid/reaper            tmpfill       command_runs_under_an_init        No space left on device
b 05-pid/init              fake          sigterm_stops_the_command         not isolated
b 06-user/uid_map         solution
b 06-user/rootless        solution
b 09-network/rewire        abort         child_end_is_up_with_its_address  killed by signal 6
b 10-privileges/no_admin   refused-calls mount_refused_inside              before its command could report
b 10-privileges/deny      solution
PLAN

# target FIXTURE: the file a write-* fixture tries to write, outside the
# sandbox: one that exists (to append to) or one that must not appear.
target() {
	case $1 in
	write-etc) echo /etc/hostile-was-here ;;
	write-home) echo "$HOME/hostile-was-here" ;;
	write-repo) echo "$repo/Makefile" ;;
	write-work) echo "$hostile/work-b/02-mount/volume.c" ;;
	esac
}

# -- The graded folders.
rm -rf "$hostile/work-a" "$hostile/work-b"
: >"$hostile/only-a"
: >"$hostile/only-b"
while read -r round exercise file test _; do
	dest="$hostile/work-$round/$exercise.c"
	mkdir -p "$(dirname "$dest")"
	if [ "$file" = solution ]; then
		cp "solutions/$exercise.c" "$dest"
		continue
	fi
	printf '%s/%s\n' "${exercise#*/}" "$test" >>"$hostile/only-$round"
	cp tests/safety/hostile/hostile.h "$(dirname "$dest")/"
	case $file in
	write-*)
		path=$(target "$file")
		case $path in *[\"\\]*) echo "hostile: cannot quote $path in C" >&2; exit 2 ;; esac
		{ printf '#define TARGET "%s"\n' "$path"; cat tests/safety/hostile/write.c; } >"$dest" ;;
	*)
		cp "tests/safety/hostile/$file.c" "$dest" ;;
	esac
done <<<"$plan"

# -- The machine, before.
# sums DIR: a checksum per file under DIR, but build/ and .git/.
sums() {
	(cd "$1" && find . \( -path ./build -o -path ./.git \) -prune -o -type f -print0 |
		sort -z | xargs -0 -r sha256sum)
}
for file in /etc/hostile-was-here "$HOME/hostile-was-here"; do
	if [ -e "$file" ]; then
		echo "hostile: $file exists before the run: remove it first" >&2
		exit 2
	fi
done
tools/host-state.sh >"$hostile/state.before"
sums "$repo" >"$hostile/repo.before"
sums "$hostile/work-a" >"$hostile/work-a.before"
sums "$hostile/work-b" >"$hostile/work-b.before"

# The sandboxes' cgroups carry this run's name, so that the check below
# tells them from those of other runs at the same time.
export WORKBOOK_CGROUP_TAG="hostile-$$"

# -- The grading, in the guard.  A plain user needs a user namespace to make
# the others; its root sets the guard up, then maps back to the user, so that
# the grading runs as the user, as it would without the guard.
guard=(unshare --pid --fork --kill-child --mount-proc --mount
	--propagation private --uts --ipc --net)
ids=()
if [ "$(id -u)" -ne 0 ]; then
	guard+=(--user --map-root-user)
	ids=("$(id -u)" "$(id -g)")
fi
export CC="${CC:-cc}" CFLAGS="${CFLAGS:--std=gnu11 -Wall -Wextra -Werror -g -O2}"
start=$(date +%s%N)
status=0
timeout --kill-after=5 "$bound" "${guard[@]}" \
	"$repo/tests/safety/hostile.sh" --guarded "$build" "$hostile" "${ids[@]}" || status=$?
ms=$((($(date +%s%N) - start) / 1000000))
if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
	fail "the grading did not finish within the bound of $bound s"
elif [ "$status" -ne 0 ]; then
	fail "the grading could not run (status $status): $(cat "$hostile/table-a" "$hostile/table-b")"
else
	pass "the grading finished in $((ms / 1000)).$((ms % 1000 / 100)) s, within the bound of $bound s"
fi

# -- 1 and 2: each exercise's grade, from each round's results.json read
# once: status_of and output_of, by round and exercise name.
declare -A status_of=() output_of=()
for round in a b; do
	while IFS= read -r -d '' name && IFS= read -r -d '' grade && IFS= read -r -d '' output; do
		status_of[$round/$name]=$grade output_of[$round/$name]=$output
	done < <(jq -j '.tests[] | (.name | sub(".*[(]"; "") | rtrimstr(")")),
		"\u0000", .status, "\u0000", .output, "\u0000"' \
		"$hostile/grade-$round/results.json" 2>/dev/null || true)
done
while read -r round exercise file test words; do
	name=${exercise#*/}
	grade=${status_of[$round/$name]:-}
	output=${output_of[$round/$name]:-}
	if [ "$file" = solution ]; then
		if [ "$grade" = passed ]; then
			pass "$round $exercise: the solution passes beside the fixtures"
		else
			fail "$round $exercise: the solution did not pass: ${grade:-no grade}: $output"
		fi
	elif [ "$grade" = failed ] && grep -qF -- "$words" <<<"$output"; then
		reason=$(grep -F -- "$words" <<<"$output" | head -n 1 | sed 's/^ *//')
		pass "$round $exercise: $file fails: ${reason:0:150}"
	else
		fail "$round $exercise: $file: expected a failure saying \"$words\", got ${grade:-no grade}: $output"
	fi
done <<<"$plan"

# -- 3: the machine, after.  Processes are looked for by the guard's PID
# namespace, not by name, and cgroups by this run's tag, so that other runs
# on the machine do not count; for the same reason the container engine's
# storage, which the lab's builds mount and unmount, is left out of the
# mount table.
# scope: tools/host-state.sh's lines on stdin, but those.
scope() { grep -v -e '^leftover ' -e '^cgroup ' -e '^mount /var/lib/containers/' || true; }
if tools/host-state.sh | scope |
	diff -u <(scope <"$hostile/state.before") - >"$hostile/state.diff"; then
	pass "hostname, mounts, interfaces and IPC objects are as before"
else
	fail "the machine changed: $(cat "$hostile/state.diff")"
fi
guard_ns=$(cat "$hostile/guard.pidns" 2>/dev/null || echo none)
# The kernel ends what a dead init leaves behind, and its parents reap it,
# a moment after the init itself: give them a second before counting.
for _ in $(seq 10); do
	left=
	for ns in /proc/[0-9]*/ns/pid; do
		[ "$(readlink "$ns" 2>/dev/null)" != "$guard_ns" ] || left+=" ${ns%/ns/pid}"
	done
	[ -n "$left" ] || break
	sleep 0.1
done
[ -z "$left" ] || left+=" ($(for p in $left; do tr '\0' ' ' <"$p/cmdline" 2>/dev/null; echo; done | sort | uniq -c | tr '\n' ';'))"
if [ "$guard_ns" = none ]; then
	fail "the guard did not say which PID namespace it had"
elif [ -z "$left" ]; then
	pass "no process is left in the guard's PID namespace ($guard_ns)"
else
	fail "processes left in the guard's PID namespace: $left"
fi
left=$(find /sys/fs/cgroup -type d -name "workbook-sandbox-*-$WORKBOOK_CGROUP_TAG" 2>/dev/null || true)
if [ -z "$left" ]; then
	pass "no cgroup of the grading's sandboxes is left"
else
	fail "cgroups of the grading's sandboxes are left: $(tr '\n' ' ' <<<"$left")"
fi
for what in repo work-a work-b; do
	dir=$repo
	[ "$what" = repo ] || dir="$hostile/$what"
	if sums "$dir" | diff -u "$hostile/$what.before" - >"$hostile/$what.diff"; then
		pass "every file in $dir is as before"
	else
		fail "files changed in $dir: $(grep '^[-+][^-+]' "$hostile/$what.diff")"
	fi
done
for file in /etc/hostile-was-here "$HOME/hostile-was-here"; do
	if [ -e "$file" ]; then
		fail "$file was written"
	else
		pass "$file was not written"
	fi
done

echo "hostile: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
