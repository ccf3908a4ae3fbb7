#!/usr/bin/env bash
# run.sh: the chapters' tests, as `make test` runs them.
#
#     usage: tests/chapters/run.sh BUILD_DIR
#
# 1. Every chapter suite against its worked program: all must pass.
# 2. The contract suite against every program: all must pass.
# 3. Every chapter suite against the skeleton, which creates no namespace:
#    every test must fail, or it would pass without the isolation it claims.
# 4. The article's defects, put back into the programs (tests/chapters/chapters.mk): the
#    test that names each defect must fail.
# Prints "chapters: N passed, M failed" last; exit 0 only if M is 0.
set -euo pipefail

build=${1:?usage: tests/chapters/run.sh BUILD_DIR}
# Where the sandbox cannot start, say why once instead of failing every test.
"$(dirname "$0")/../../tools/doctor.sh" --quiet || exit 2
tests="$build/tests"
bin="$build/bin"
chapters=(net mount uts ipc pid user rootfs network privileges)
programs=(skeleton "${chapters[@]}")

tap=$(mktemp -d)
trap 'rm -rf "$tap"' EXIT
# Tests that make the same observation share one run (tests/harness/sandbox.c).
export SANDBOX_CACHE="$tap/cache"
passed=0
failed=0

# count FILE: adds the TAP results in FILE to the totals.
count() {
	local ok not_ok
	ok=$(grep -c '^ok ' "$1" || true)
	not_ok=$(grep -c '^not ok ' "$1" || true)
	passed=$((passed + ok))
	failed=$((failed + not_ok))
}

echo "== Each chapter's suite, against its worked program"
for name in skeleton "${chapters[@]}"; do
	"$tests/test-$name" --tap="$tap/$name.tap" || true
	count "$tap/$name.tap"
done

echo "-- runtime (tests/chapters/runtime.sh)"
"$(dirname "$0")/runtime.sh" "$build" >"$tap/runtime.tap" 2>&1 || true
grep -v '^ok ' "$tap/runtime.tap" || true
count "$tap/runtime.tap"

echo "== The contract, against every program"
for name in "${programs[@]}"; do
	echo "-- $name"
	PROGRAM="$bin/$name" "$tests/test-contract" --tap="$tap/contract-$name.tap" || true
	count "$tap/contract-$name.tap"
done

echo "== Each chapter's suite, against the skeleton: every test must fail"
for name in "${chapters[@]}"; do
	file="$tap/control-$name.tap"
	PROGRAM="$bin/skeleton" "$tests/test-$name" --tap="$file" >/dev/null 2>&1 || true
	total=$(grep -c '^\(not \)\?ok ' "$file" || true)
	while read -r test; do
		echo "FAIL: $test passes against the skeleton: it cannot fail"
		failed=$((failed + 1))
	done < <(sed -n 's/^ok - \([^ ]*\).*/\1/p' "$file")
	caught=$(grep -c '^not ok ' "$file" || true)
	echo "-- $name: $caught of $total tests fail without the namespace"
	if [ "$total" -eq 0 ]; then
		echo "FAIL: $name: no test ran against the skeleton"
		failed=$((failed + 1))
	fi
	passed=$((passed + caught))
done

echo "== The article's defects, put back: each must be caught"
# mutant, suite, then the tests that must fail against it.
# Only the tests named run: the others have nothing to prove here.
while read -r mutant suite must_fail; do
	file="$tap/mutant-$mutant.tap"
	names=$(sed "s/$suite:://g; s/ /|/g" <<<"$must_fail")
	if [ "$suite" = runtime ]; then
		"$(dirname "$0")/runtime.sh" "$build" "$tests/mutant-$mutant" >"$file" 2>&1 || true
	else
		PROGRAM="$tests/mutant-$mutant" "$tests/test-$suite" --filter "$suite/@($names)" \
			--tap="$file" >/dev/null 2>&1 || true
	fi
	for test in $must_fail; do
		if grep -q "^not ok - $test " "$file"; then
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
privileges-filter-first privileges privileges::no_new_privs_before_the_filter
privileges-whole-bounding privileges privileges::bounding_set_is_the_default
privileges-allows-unshare privileges privileges::refused_calls_fail_with_eperm
privileges-clone3-eperm privileges privileges::clone3_falls_back_to_clone
runtime-no-wait runtime runtime::create_waits_for_start
runtime-no-undo runtime runtime::bad_oci_version_refused runtime::malformed_config_refused
runtime-pid-reuse runtime runtime::state_after_pid_reuse
runtime-delete-running runtime runtime::delete_of_running_refused
MUTANTS

echo "chapters: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
