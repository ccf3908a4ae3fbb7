#!/usr/bin/env bash
# run.sh: the chapters' tests, as `make test` runs them.
#
#     usage: tests/chapters/run.sh BUILD_DIR [PROGRAM...]
#
# For each worked program named (all of them by default: skeleton net
# mount uts ipc pid user rootfs cgroup network privileges runtime):
# 1. Its chapter's suite against it: all must pass.
# 2. The contract suite against it: all must pass.
# 3. Its chapter's suite against the skeleton, which creates no namespace:
#    every test must fail, or it would pass without the isolation it claims.
# 4. The article's defects and the chapters' steps, put back into it or
#    taken out (tests/chapters/chapters.mk): the test that names each must
#    fail.  A mutant marked @v2 can be caught only where the sandbox's
#    controllers are on cgroup v2 (make test-vm): elsewhere it is skipped.
# A test that skips (a suite that needs what this machine lacks, as chapter
# 8's a cgroup) is counted apart, with its reason.
# Prints "chapters: N passed, M failed, K skipped" last; exit 0 only if M
# is 0.
set -euo pipefail

build=${1:?usage: tests/chapters/run.sh BUILD_DIR [PROGRAM...]}
shift
# Where the sandbox cannot start, say why once instead of failing every test.
"$(dirname "$0")/../../tools/doctor.sh" --quiet || exit 2
tests="$build/tests"
bin="$build/bin"
programs=("$@")
[ $# -gt 0 ] || programs=(skeleton net mount uts ipc pid user rootfs cgroup network privileges runtime)
# Chapter 11's runtime is no command line like the others: its suite is
# runtime.sh, which drives it as podman does, and the contract and the
# skeleton's control are not for it.  Its mutants run like the others'.
chapters=()
with_runtime=
suites=()
for name in "${programs[@]}"; do
	if [ "$name" = runtime ]; then
		with_runtime=1
		continue
	fi
	suites+=("$name")
	[ "$name" = skeleton ] || chapters+=("$name")
done
# The controllers' layout in the sandbox: v2, v1, hybrid, or none.
layout=$("$tests/cgbox" --layout 2>/dev/null | head -n 1 || true)
layout=${layout:-none}

tap=$(mktemp -d)
trap 'rm -rf "$tap"' EXIT
# Tests that make the same observation share one run (tests/harness/sandbox.c).
export SANDBOX_CACHE="$tap/cache"
passed=0
failed=0
skipped=0

# count FILE: adds the TAP results in FILE to the totals, and says why the
# skipped ones were (once for each reason).
count() {
	local ok not_ok skip
	ok=$(grep '^ok ' "$1" | grep -vc ' # SKIP ' || true)
	not_ok=$(grep -c '^not ok ' "$1" || true)
	skip=$(grep -c '^ok .* # SKIP ' "$1" || true)
	passed=$((passed + ok))
	failed=$((failed + not_ok))
	skipped=$((skipped + skip))
	sed -n 's/^ok .* # SKIP \(.*\)/SKIP: \1/p' "$1" | sort | uniq -c |
		sed 's/^ *\([0-9]*\) SKIP: /-- skipped, \1 tests: /'
}

echo "== Each chapter's suite, against its worked program"
for name in "${suites[@]}"; do
	"$tests/test-$name" --tap="$tap/$name.tap" || true
	count "$tap/$name.tap"
done

# runtime.sh binds the workbook's own build/ into its sandbox: in the
# test VM, whose build is elsewhere, the runtime and its mutants are skipped.
runtime_skip=
if [ -n "$with_runtime" ] &&
	[ "$(realpath "$build")" != "$(realpath "$(dirname "$0")/../../build")" ]; then
	runtime_skip="runtime.sh runs only on the workbook's own build/, not $build"
	echo "-- runtime: skipped: $runtime_skip"
	skipped=$((skipped + 1))
	with_runtime=
fi
if [ -n "$with_runtime" ]; then
	echo "-- runtime (tests/chapters/runtime.sh)"
	"$(dirname "$0")/runtime.sh" "$build" >"$tap/runtime.tap" 2>&1 || true
	grep -v '^ok ' "$tap/runtime.tap" || true
	count "$tap/runtime.tap"
fi

echo "== The contract, against every program"
for name in "${suites[@]}"; do
	echo "-- $name"
	# Chapter 8's program needs a cgroup to run anything in.
	if [ "$name" = cgroup ] && [ "$layout" = none ]; then
		echo "-- skipped: the sandbox gets no cgroup here ($("$tests/cgbox" --layout 2>&1 >/dev/null | sed 's/^cgbox: //'))"
		skipped=$((skipped + 1))
		continue
	fi
	PROGRAM="$bin/$name" "$tests/test-contract" --tap="$tap/contract-$name.tap" || true
	count "$tap/contract-$name.tap"
done

echo "== Each chapter's suite, against the skeleton: every test must fail"
for name in "${chapters[@]}"; do
	file="$tap/control-$name.tap"
	PROGRAM="$bin/skeleton" "$tests/test-$name" --tap="$file" >/dev/null 2>&1 || true
	total=$(grep -c '^\(not \)\?ok ' "$file" || true)
	skip=$(grep -c '^ok .* # SKIP ' "$file" || true)
	while read -r test; do
		echo "FAIL: $test passes against the skeleton: it cannot fail"
		failed=$((failed + 1))
	done < <(grep -v ' # SKIP ' "$file" | sed -n 's/^ok - \([^ ]*\).*/\1/p')
	caught=$(grep -c '^not ok ' "$file" || true)
	if [ "$skip" -gt 0 ]; then
		echo "-- $name: skipped, as above"
		skipped=$((skipped + skip))
		continue
	fi
	echo "-- $name: $caught of $total tests fail without the namespace"
	if [ "$total" -eq 0 ]; then
		echo "FAIL: $name: no test ran against the skeleton"
		failed=$((failed + 1))
	fi
	passed=$((passed + caught))
done

echo "== The article's defects, put back: each must be caught"
# mutant, suite, then the tests that must fail against it.  The mutants of
# a program not named are left out (the contract's are the skeleton's and
# pid's).  Only the tests named run: the others have nothing to prove here.
while read -r mutant suite must_fail; do
	program=${mutant%%-*}
	only=
	case $mutant in *@v2) only=v2 mutant=${mutant%@v2} ;; esac
	[[ " ${programs[*]} " == *" $program "* ]] || continue
	if [ "$program" = runtime ] && [ -n "$runtime_skip" ]; then
		echo "-- $mutant: skipped: $runtime_skip"
		skipped=$((skipped + 1))
		continue
	fi
	if [ -n "$only" ] && [ "$layout" != "$only" ]; then
		echo "-- $mutant: skipped: only cgroup v2 can show it, and the sandbox's cgroup here is $layout (make test-vm runs it)"
		skipped=$((skipped + 1))
		continue
	fi
	file="$tap/mutant-$mutant.tap"
	names=$(sed "s/$suite:://g; s/ /|/g" <<<"$must_fail")
	if [ "$suite" = runtime ]; then
		"$(dirname "$0")/runtime.sh" "$build" "$tests/mutant-$mutant" >"$file" 2>&1 || true
	else
		PROGRAM="$tests/mutant-$mutant" "$tests/test-$suite" --filter "$suite/@($names)" \
			--tap="$file" >/dev/null 2>&1 || true
	fi
	for test in $must_fail; do
		if grep -q "^ok - $test .* # SKIP " "$file"; then
			echo "-- $mutant: $test skipped: $(sed -n "s/^ok - $test .* # SKIP //p" "$file")"
			skipped=$((skipped + 1))
		elif grep -q "^not ok - $test " "$file"; then
			echo "-- $mutant: $test fails, as it must"
			passed=$((passed + 1))
		else
			echo "FAIL: $test does not catch $mutant"
			failed=$((failed + 1))
		fi
	done
done <<'MUTANTS'
mount-shared mount mount::mounts_made_inside_stay_inside mount::root_is_private_inside
pid-shared pid pid::proc_is_private_inside
skeleton-status contract contract::exit_status_passes_through contract::failure_passes_through contract::signal_becomes_128_plus_n
skeleton-errno contract contract::missing_command_127_without_stderr
skeleton-127 contract contract::unrunnable_command_126
pid-orphan contract contract::command_dies_with_the_program
rootfs-attached rootfs rootfs::old_root_is_gone
rootfs-chroot rootfs rootfs::no_way_up
rootfs-shared rootfs rootfs::mounts_stay_inside
network-left-behind network network::pair_removed_after
network-child-down network network::child_end_up_with_its_address
network-wrong-end network network::child_end_up_with_its_address network::host_end_up_with_its_address
cgroup-late-limits cgroup cgroup::limits_written_before_the_command_runs
cgroup-no-rmdir cgroup cgroup::cgroup_removed_after cgroup::cgroup_removed_after_sigterm
cgroup-no-subtree-control@v2 cgroup cgroup::memory_limit_holds cgroup::fork_bomb_stops_at_the_limit
privileges-filter-first privileges privileges::no_new_privs_before_the_filter
privileges-whole-bounding privileges privileges::bounding_set_is_the_default
privileges-allows-unshare privileges privileges::refused_calls_fail_with_eperm
privileges-clone3-eperm privileges privileges::clone3_falls_back_to_clone
runtime-no-wait runtime runtime::create_waits_for_start
runtime-no-undo runtime runtime::bad_oci_version_refused runtime::malformed_config_refused
runtime-pid-reuse runtime runtime::state_after_pid_reuse
runtime-delete-running runtime runtime::delete_of_running_refused
MUTANTS

echo "chapters: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
