#!/usr/bin/env bash
# badinput.sh: bad input to every worked program, as `make test` runs it.
#
#     usage: tests/safety/badinput.sh BUILD_DIR [PROGRAM...]
#
# 1. tests/safety/test-badinput.c against each worked program named (all of
#    them by default): all must pass.
# 2. The same suite against mutants of those programs (tests/safety/safety.mk),
#    each with one way of failing badly: the test named for it must fail, or
#    it could not catch what it is there for.
# A test that skips (chapter 8's where the sandbox gets no cgroup) is counted
# apart, with its reason.
# Prints "badinput: N passed, M failed, K skipped" last; exit 0 only if M is 0.
set -euo pipefail

build=${1:?usage: tests/safety/badinput.sh BUILD_DIR [PROGRAM...]}
shift
"$(dirname "$0")/../../tools/doctor.sh" --quiet || exit 2
tests="$build/tests"
suite="$tests/test-badinput"
programs=("$@")
[ $# -gt 0 ] || programs=(skeleton net mount uts ipc pid user rootfs cgroup network)
tap=$(mktemp -d)
trap 'rm -rf "$tap"' EXIT
# Tests that make the same observation share one run (tests/harness/sandbox.c).
export SANDBOX_CACHE="$tap/cache"
passed=0
failed=0
skipped=0

echo "== Bad input, against every worked program"
for name in "${programs[@]}"; do
	echo "-- $name"
	PROGRAM="$build/bin/$name" "$suite" --tap="$tap/$name.tap" || true
	ok=$(grep '^ok ' "$tap/$name.tap" | grep -vc ' # SKIP ' || true)
	not_ok=$(grep -c '^not ok ' "$tap/$name.tap" || true)
	skip=$(grep -c '^ok .* # SKIP ' "$tap/$name.tap" || true)
	passed=$((passed + ok))
	failed=$((failed + not_ok))
	skipped=$((skipped + skip))
	sed -n 's/^ok .* # SKIP \(.*\)/\1/p' "$tap/$name.tap" | sort | uniq -c |
		sed 's/^ *\([0-9]*\) /-- skipped, \1 tests: /'
done

echo "== Bad input, against programs that fail badly: each must be caught"
while read -r mutant test; do
	[[ " ${programs[*]} " == *" ${mutant#*/} "* ]] || continue
	file="$tap/mutant-${mutant%%/*}.tap"
	PROGRAM="$tests/badinput/$mutant" "$suite" --filter "badinput/$test" \
		--tap="$file" >/dev/null 2>&1 || true
	if grep -q "^ok - badinput::$test .* # SKIP " "$file"; then
		echo "-- ${mutant%%/*}: $test skipped: $(sed -n "s/^ok - badinput::$test .* # SKIP //p" "$file")"
		skipped=$((skipped + 1))
	elif grep -q "^not ok - badinput::$test " "$file"; then
		echo "-- ${mutant%%/*}: $test fails, as it must"
		passed=$((passed + 1))
	else
		echo "FAIL: $test does not catch ${mutant%%/*}"
		failed=$((failed + 1))
	fi
done <<'MUTANTS'
net-silent/net refused_namespace_explained
mount-twice/mount unwritable_mytmp
pid-onward/pid step_after_clone_refused
skeleton-127/skeleton command_not_executable
rootfs-onward/rootfs root_missing
rootfs-into-file/rootfs root_is_a_file
rootfs-vague/rootfs root_unreadable
rootfs-no-proc/rootfs image_without_proc
rootfs-status/rootfs command_missing_from_image
network-onward/network step_after_clone_refused
cgroup-zero/cgroup zero_limits_refused
cgroup-any-suffix/cgroup limits_that_do_not_parse
cgroup-any-cpu/cgroup cpu_beyond_the_machine_refused
cgroup-no-controller/cgroup missing_controller_refused
privileges-any-cap/privileges unknown_capability_refused
MUTANTS

echo "badinput: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
