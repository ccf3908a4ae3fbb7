# shellcheck shell=bash
# expect.sh: the counting that the test scripts share, sourced by them
# (tests/grader/grade-test.sh, class-test.sh, grade-solutions.sh,
# tests/safety/vm-bounds.sh).
#
# expect WHAT COMMAND...: runs COMMAND and counts it in passed or failed;
# prints "FAIL: WHAT" if it failed.  A failed check is counted, not fatal.
# The script prints its closing line from the two counts.
passed=0
failed=0
expect() {
	local what=$1
	shift
	if "$@"; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAIL: $what"
	fi
}

# same A B: true if the strings A and B are equal.
same() { [ "$1" = "$2" ]; }
# quietly COMMAND...: runs COMMAND, its output dropped (not expect's).
quietly() { "$@" >/dev/null; }
