#!/usr/bin/env bash
# badinput.sh: bad input to every worked program, as `make test` runs it.
#
#     usage: tests/safety/badinput.sh BUILD_DIR
#
# 1. tests/safety/test-badinput.c against each worked program: all must pass.
# 2. The same suite against mutants of the programs (tests/safety/safety.mk), each
#    with one way of failing badly: the test named for it must fail, or it
#    could not catch what it is there for.
# Prints "badinput: N passed, M failed" last; exit 0 only if M is 0.
set -euo pipefail

build=${1:?usage: tests/safety/badinput.sh BUILD_DIR}
"$(dirname "$0")/../../tools/doctor.sh" --quiet || exit 2
tests="$build/tests"
suite="$tests/test-badinput"
tap=$(mktemp -d)
trap 'rm -rf "$tap"' EXIT
# Tests that make the same observation share one run (tests/harness/sandbox.c).
export SANDBOX_CACHE="$tap/cache"
passed=0
failed=0

echo "== Bad input, against every worked program"
for name in skeleton net mount uts ipc pid user rootfs network privileges; do
	echo "-- $name"
	PROGRAM="$build/bin/$name" "$suite" --tap="$tap/$name.tap" || true
	ok=$(grep -c '^ok ' "$tap/$name.tap" || true)
	not_ok=$(grep -c '^not ok ' "$tap/$name.tap" || true)
	passed=$((passed + ok))
	failed=$((failed + not_ok))
done

echo "== Bad input, against programs that fail badly: each must be caught"
while read -r mutant test; do
	file="$tap/mutant-${mutant%%/*}.tap"
	PROGRAM="$tests/badinput/$mutant" "$suite" --filter "badinput/$test" \
		--tap="$file" >/dev/null 2>&1 || true
	if grep -q "^not ok - badinput::$test " "$file"; then
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
privileges-any-cap/privileges unknown_capability_refused
MUTANTS

echo "badinput: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
