#!/usr/bin/env bash
# grade-solutions.sh: the reference solutions, graded as a student's work is,
# as `make test-vm` runs it in the test VM.
#
#     usage: tests/grader/grade-solutions.sh BUILD_DIR [CHAPTER...]
#
# For each CHAPTER ("net" or "01-net"; every chapter with exercises when
# none is given), a copy of solutions/ is graded by tests/grader/grade.sh:
# it must exit 0 with full marks, every test of the list must have run and
# passed, the contract must have been graded and kept for every exercise,
# the reports must be well-formed, and the copy must be byte for byte as it
# was.  This is the part of the grader's self-test (grade-test.sh) that
# depends on the kernel: every exercise suite passes on it.  The rest (the
# stubs at zero, the mutants, bad arguments) proves the grader itself, and
# runs in make test.
# Prints "grade-solutions: N passed, M failed" last; exit 0 only if M is 0.
set -euo pipefail

build=${1:?usage: tests/grader/grade-solutions.sh BUILD_DIR [CHAPTER...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$build/grade-solutions"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=tests/harness/expect.sh
. "$here/../harness/expect.sh"

grep -v '^#' "$root/tests/exercises.tsv" >"$tmp/list"
if [ $# -eq 0 ]; then
	mapfile -t chapters < <(cut -f1 "$tmp/list" | sort -u)
	set -- "${chapters[@]}"
fi
# The contract's tests, as the grader names them, one per exercise graded.
each=$(grep -o "^contract_tests='[^']*'" "$here/grade.sh" | tr -cd '|' | wc -c)
each=$((each + 1))

cp -a "$root/solutions" "$tmp/solutions"
(cd "$tmp/solutions" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$tmp/before"

for chapter in "$@"; do
	dir=$(cut -f1 "$tmp/list" | grep -xE "$chapter|[0-9]+-$chapter" | head -n 1) ||
		{ echo "grade-solutions: no exercises in chapter $chapter (tests/exercises.tsv)" >&2; exit 2; }
	name=${dir#*-}
	awk -F '\t' -v d="$dir" '$1 == d' "$tmp/list" >"$tmp/$name.list"
	points=$(awk -F '\t' '{ s += $3 } END { print s }' "$tmp/$name.list")
	ntests=$(awk -F '\t' '{ n += split($5, t, ",") } END { print n }' "$tmp/$name.list")
	nex=$(wc -l <"$tmp/$name.list")
	echo "== $dir: $nex exercises, $ntests tests, $points points"
	rc=0
	start=$SECONDS
	"$here/grade.sh" -o "$out/$name" "$build" "$tmp/solutions" "$dir" >"$tmp/$name.out" 2>&1 || rc=$?
	echo "-- graded in $((SECONDS - start)) s"
	score=$(tail -n 1 "$tmp/$name.out")
	expect "$dir: exit 0 (got $rc)" test "$rc" = 0
	expect "$dir: Score: $points/$points (got $score)" test "$score" = "Score: $points/$points"
	xml="$out/$name/junit.xml"
	own='not(starts-with(@name, "contract."))'
	got=$(xmllint --xpath "count(//testcase[$own]) - count(//testcase[$own][failure])" "$xml" 2>/dev/null || echo 0)
	expect "$dir: all $ntests tests of the list ran and passed ($got did)" test "$got" = "$ntests"
	got=$(xmllint --xpath 'count(//testcase[starts-with(@name, "contract.")]) - count(//testcase[starts-with(@name, "contract.")][failure])' "$xml" 2>/dev/null || echo 0)
	expect "$dir: the contract graded and kept, $each tests for each exercise ($got kept)" test "$got" = "$((nex * each))"
	got=$(jq -r .score "$out/$name/results.json" 2>/dev/null || echo none)
	expect "$dir: results.json scores $points (got $got)" test "$got" = "$points"
	[ "$rc$score" = "0Score: $points/$points" ] || sed "s/^/  $name: /" "$tmp/$name.out" | tail -n 20
done

(cd "$tmp/solutions" && find . -type f -print0 | sort -z | xargs -0 sha256sum) >"$tmp/after"
expect "the graded copy of solutions/ is byte for byte unchanged" cmp -s "$tmp/before" "$tmp/after"

echo "grade-solutions: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
