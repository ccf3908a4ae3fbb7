#!/usr/bin/env bash
# grade-test.sh: the grader's own tests, as `make test` runs them.
#
#     usage: tests/grader/grade-test.sh BUILD_DIR
#
# 1. The list agrees with the files: every exercise has a stub, a solution,
#    a suite with the tests listed, a heading in its chapter's exercises.md;
#    no name clashes with another program.
# 2. The reference solutions, graded from a copy, get full marks, and the
#    copy is byte for byte as it was.
# 3. The pristine stubs fail every test of every exercise; chapters/ is
#    unchanged.
# 4. The reports parse and agree with the table: JUnit XML well-formed,
#    results.json valid, scores adding up to the "Score:" line.
# 5. A compile error is a graded failure showing the compiler's message;
#    the compiler sees no file outside the exercise's folder; bad input (no
#    such folder, an empty WORK, no such chapter, a folder without
#    exercises) is refused with status 2, and leaves no report of an earlier
#    grading behind.
# 6. Every stub and every solution keeps the contract (tests/test-contract.c).
# Prints "grader: N passed, M failed" last; exit 0 only if M is 0.
set -euo pipefail

build=${1:?usage: tests/grader/grade-test.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$build/grade-test"
passed=0
failed=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# expect WHAT COMMAND...: runs COMMAND, counts it, and prints WHAT if it
# failed; a failed check is counted, not fatal.
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
same() {
	[ "$1" = "$2" ]
}

# sums DIR: a line per file under DIR: path, mode, size, mtime, checksum.
sums() {
	(cd "$1" && find . -printf '%p %m %s %T@\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

grep -v '^#' "$root/tests/exercises.tsv" >"$tmp/list"
points=$(awk -F '\t' '{ s += $3 } END { print s }' "$tmp/list")
ntests=$(awk -F '\t' '{ n += split($5, t, ",") } END { print n }' "$tmp/list")
nex=$(wc -l <"$tmp/list")

echo "== The list, against the files"
while IFS=$'\t' read -r dir name pts _ tests title _; do
	for f in "chapters/$dir/$name.c" "solutions/$dir/$name.c"; do
		expect "$f exists" test -f "$root/$f"
	done
	expect "the stub $name.c says what TODO" \
		grep -q TODO "$root/chapters/$dir/$name.c"
	# vpath finds a program by its file name: one of each name, anywhere.
	n=$(find "$root/common" "$root/chapters" -name "$name.c" | wc -l)
	expect "$name.c is the only file of its name in chapters/ and common/" \
		same "$n" 1
	suite="$build/tests/ex-${dir#*-}"
	# Criterion draws its tree with ├── and └── in a UTF-8 locale, with
	# |-- and `-- in the C locale (LANG unset, as under `su -`).
	got=$("$suite" --list | awk -v s="$name:" '$1 == s { on = 1; next }
		/^[^ ]/ && !/^([├└]|[|`]--)/ { on = 0 } on { print $2 }' | sort | tr '\n' ,)
	want=$(tr , '\n' <<<"$tests" | sort | tr '\n' ,)
	expect "suite $name runs the tests listed (runs: $got)" same "$got" "$want"
	[ "$pts" = 1 ] && unit=point || unit=points
	expect "chapters/$dir/exercises.md has the heading ### $title ($pts $unit)" \
		grep -qxF "### $title ($pts $unit)" "$root/chapters/$dir/exercises.md"
done <"$tmp/list"
dups=$(cut -f2 "$tmp/list" | sort | uniq -d)
expect "exercise names are unique ($dups)" same "$dups" ""

echo "== The solutions, the stubs, a compile error: graded side by side"
cp -a "$root/solutions" "$tmp/solutions"
cp -a "$root/solutions" "$tmp/broken"
echo "this is not C" >>"$tmp/broken/03-uts/hostname.c"
cp -a "$root/solutions" "$tmp/peek"
sed -i "1i #include \"$root/tests/exercises.tsv\"" "$tmp/peek/01-net/lo_up.c"
sums "$tmp/solutions" >"$tmp/solutions.before"
sums "$root/chapters" >"$tmp/chapters.before"
grade() {	# NAME WORK [CHAPTER]: grades into OUT/NAME; status in .rc
	local rc=0
	"$here/grade.sh" -o "$out/$1" "$build" "$2" "${3:-}" >"$tmp/$1.out" 2>&1 || rc=$?
	echo "$rc" >"$tmp/$1.rc"
}
grade solutions "$tmp/solutions" &
grade stubs "$root/chapters" &
grade broken "$tmp/broken" uts &
grade peek "$tmp/peek" net &
wait

for name in solutions stubs broken peek; do	# what a grader said that exited 2
	[ "$(cat "$tmp/$name.rc")" != 2 ] || sed "s/^/$name: /" "$tmp/$name.out"
done
expect "the solutions: exit 0 (got $(cat "$tmp/solutions.rc"))" \
	same "$(cat "$tmp/solutions.rc")" 0
expect "the solutions: Score: $points/$points (got $(tail -n 1 "$tmp/solutions.out"))" \
	same "$(tail -n 1 "$tmp/solutions.out")" "Score: $points/$points"
sums "$tmp/solutions" >"$tmp/solutions.after"
expect "the graded copy of solutions/ is byte for byte unchanged" \
	cmp -s "$tmp/solutions.before" "$tmp/solutions.after"
expect "the stubs: exit 1 (got $(cat "$tmp/stubs.rc"))" same "$(cat "$tmp/stubs.rc")" 1
expect "the stubs: Score: 0/$points (got $(tail -n 1 "$tmp/stubs.out"))" \
	same "$(tail -n 1 "$tmp/stubs.out")" "Score: 0/$points"
sums "$root/chapters" >"$tmp/chapters.after"
expect "chapters/ is byte for byte unchanged" \
	cmp -s "$tmp/chapters.before" "$tmp/chapters.after"
stub_xml="$out/stubs/junit.xml"
cases=$(xmllint --xpath 'count(//testcase)' "$stub_xml" 2>/dev/null || echo 0)
fails=$(xmllint --xpath 'count(//testcase[failure])' "$stub_xml" 2>/dev/null || echo 0)
expect "the stubs fail every one of the $ntests exercise tests ($fails of $cases failed)" \
	same "$cases $fails" "$ntests $ntests"
for t in $(xmllint --xpath '//testcase[not(failure)]/@name' "$stub_xml" 2>/dev/null |
	sed 's/ name="\([^"]*\)"/\1 /g'); do
	echo "FAIL: $t passes on its stub: it cannot fail"
done
shown=$(grep -c "FAIL$" "$tmp/stubs.out" || true)
expect "the table shows all $nex exercises failed (shows $shown)" same "$shown" "$nex"

echo "== The reports, against the table"
for name in solutions stubs broken; do
	expect "$name: junit.xml is well-formed" xmllint --noout "$out/$name/junit.xml"
	json="$out/$name/results.json"
	expect "$name: results.json is valid JSON" jq -e . "$json" >/dev/null
	score=$(tail -n 1 "$tmp/$name.out" | sed -n 's|^Score: \([0-9]*\)/\([0-9]*\)$|\1 \2|p')
	# shellcheck disable=SC2016 # jq's variables, not the shell's
	expect "$name: results.json's scores add up to the table's ($score)" \
		jq -e --arg score "$score" '
		([.tests[].score] | add) == .score and
		"\(.score) \([.tests[].max_score] | add)" == $score and
		all(.tests[]; (.status == "passed") == (.score == .max_score) and
			has("name") and has("output"))' "$json" >/dev/null
	# Exercises that failed: the same in the JUnit XML as in the JSON.
	from_xml=$({ xmllint --xpath '//testcase[failure]/@classname' \
		"$out/$name/junit.xml" 2>/dev/null || true; } |
		sed 's/ classname="[^.]*\.\([^"]*\)"/\1\n/g' | sed '/^$/d' |
		sort -u | tr '\n' ' ')
	from_json=$(jq -r '.tests[] | select(.status == "failed") | .name' "$json" |
		sed 's/.*(\(.*\))$/\1/' | sort -u | tr '\n' ' ')
	expect "$name: junit.xml and results.json fail the same exercises ($from_xml)" \
		same "$from_xml" "$from_json"
done
broken="$(cat "$tmp/broken.rc") $(tail -n 1 "$tmp/broken.out")"
grep -q "does not compile" "$tmp/broken.out" && broken+=" named"
grep -q "^ *03-uts/hostname.c:[0-9]*:[0-9]*: error: " "$tmp/broken.out" && broken+=" shown"
expect "a compile error fails its exercise with the compiler's message, and the rest is graded ($broken)" \
	same "$broken" "1 Score: 1/3 named shown"

peek="$(cat "$tmp/peek.rc") $(tail -n 1 "$tmp/peek.out")"
grep -q "exercises.tsv: No such file or directory" "$tmp/peek.out" && peek+=" unseen"
expect "the compiler cannot read a file outside the exercise's folder ($peek)" \
	same "$peek" "1 Score: 3/5 unseen"

rc=0
mkdir -p "$tmp/empty" "$out/bad"
echo '{"score": 1}' >"$out/bad/results.json"	# an earlier grading's
echo '<testsuites/>' >"$out/bad/junit.xml"
"$here/grade.sh" -o "$out/bad" "$build" "$tmp/empty" >"$tmp/bad.out" 2>&1 || rc=$?
expect "a folder without exercises: exit 2, saying so (got $rc)" \
	same "$rc $(grep -c 'none of the exercise files' "$tmp/bad.out")" "2 1"
expect "could not grade: the earlier grading's reports are gone" \
	test ! -e "$out/bad/results.json" -a ! -e "$out/bad/junit.xml"
rc=0
"$here/grade.sh" -o "$out/bad" "$build" "$tmp/no-such-folder" >"$tmp/bad.out" 2>&1 || rc=$?
expect "a missing WORK folder: one line naming it, exit 2 (got $rc)" \
	same "$rc $(wc -l <"$tmp/bad.out") $(grep -c no-such-folder "$tmp/bad.out")" "2 1 1"
rc=0
"$here/grade.sh" -o "$out/bad" "$build" "" >"$tmp/bad.out" 2>&1 || rc=$?
expect "an empty WORK (make check WORK=): one line saying so, exit 2 (got $rc)" \
	same "$rc $(wc -l <"$tmp/bad.out") $(grep -c 'WORK is empty' "$tmp/bad.out")" "2 1 1"
rc=0
"$here/grade.sh" -o "$out/bad" "$build" "$root/solutions" nope >"$tmp/bad.out" 2>&1 || rc=$?
expect "an unknown CHAPTER: one line naming it, exit 2 (got $rc)" \
	same "$rc $(wc -l <"$tmp/bad.out") $(grep -c CHAPTER=nope "$tmp/bad.out")" "2 1 1"

echo "== The contract, against every stub and every solution"
for bin in "$out"/stubs/bin/* "$out"/solutions/bin/*; do
	tap="$tmp/contract-$(basename "$(dirname "$(dirname "$bin")")")-$(basename "$bin").tap"
	PROGRAM="$bin" "$build/tests/test-contract" --tap="$tap" >/dev/null 2>&1 || true &
done
wait
for tap in "$tmp"/contract-*.tap; do
	while read -r line; do
		echo "FAIL: contract, $(basename "$tap" .tap): $line"
	done < <(grep '^not ok ' "$tap" || true)
	ok=$(grep -c '^ok ' "$tap" || true)
	not_ok=$(grep -c '^not ok ' "$tap" || true)
	passed=$((passed + ok))
	failed=$((failed + not_ok))
done
expect "the contract ran against all $((2 * nex)) programs" \
	same "$(find "$tmp" -name 'contract-*.tap' | wc -l)" $((2 * nex))

echo "grader: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
