#!/usr/bin/env bash
# grade.sh: grade the exercises, as `make check` runs it.
#
#     usage: tests/grader/grade.sh [-o OUT] BUILD_DIR WORK [CHAPTER]
#            tests/grader/grade.sh --files WORK [CHAPTER]
#
# For every exercise of tests/exercises.tsv (of CHAPTER only, if given: "net"
# or "01-net"), compiles WORK/CHAPTER/NAME.c into OUT/bin/NAME (OUT defaults
# to BUILD_DIR/grade), runs its suite in the sandbox (BUILD_DIR/tests/ex-*,
# with PROGRAM set to that build) within the exercise's time limit, and
# prints a table: chapter, exercise, points, result, and under each failure
# the first observation that failed and the exercise's hint.  The last line
# is "Score: X/Y".  Writes OUT/junit.xml and OUT/results.json (Gradescope).
# Nothing is ever written into WORK.  --files prints the sources to watch.
#
# Environment: CC and CFLAGS, the compiler and flags (make passes its own);
# the compiler runs in a sandbox that holds /usr and /etc, and a copy of the
# exercise's .c and .h files, nothing else.
# Exit status: 0 full marks, 1 some test failed, 2 could not grade (the
# reason and the fix on stderr).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
list="$here/../exercises.tsv"
export LC_ALL=C	# plain ASCII quotes from the compiler, in every report

# cannot LINE...: says why grading is impossible, and how to fix it, on
# stderr; exits 2.
cannot() {
	printf 'check: cannot grade: %s\n' "$1" >&2
	shift
	[ $# -eq 0 ] || printf '  %s\n' "$@" >&2
	exit 2
}

# exercises [CHAPTER]: prints the lines of the list for CHAPTER (all if empty).
exercises() {
	grep -v '^#' "$list" | awk -F '\t' -v c="$1" \
		'NF >= 7 && (c == "" || $1 == c || substr($1, 4) == c)'
}

# chapter_ok CHAPTER: fails with the known names unless CHAPTER is one.
chapter_ok() {
	[ -z "$1" ] && return 0
	[ -n "$(exercises "$1")" ] && return 0
	local names
	names=$(exercises "" | cut -f1 | uniq | cut -c4- | tr '\n' ' ')
	printf 'check: CHAPTER=%s: no such chapter; the chapters are: %s\n' \
		"$1" "$names" >&2
	exit 2
}

if [ "${1:-}" = --files ]; then
	[ -n "${2:-}" ] || cannot "WORK is empty: give a copy of a student's chapters/ folder"
	work=$2
	chapter_ok "${3:-}"
	[ -d "$work" ] || { echo "check: WORK=$work: no such folder" >&2; exit 2; }
	exercises "${3:-}" | while IFS=$'\t' read -r dir name _; do
		[ -f "$work/$dir/$name.c" ] && echo "$work/$dir/$name.c"
	done
	exit 0
fi

# Bad arguments cannot be graded either: status 2, not the shell's 1.
usage="usage: tests/grader/grade.sh [-o OUT] BUILD_DIR WORK [CHAPTER]"
out=
if [ "${1:-}" = -o ]; then
	[ -n "${2:-}" ] || { echo "$usage" >&2; exit 2; }
	out=$2
	shift 2
fi
[ -n "${1:-}" ] || { echo "$usage" >&2; exit 2; }
build=$1
work=${2:-}
chapter=${3:-}
out=${out:-$build/grade}
# make check WORK= (a script's unset variable, say) arrives here empty.
if [ -z "$work" ]; then
	rm -f "$out/junit.xml" "$out/results.json"	# see below
	cannot "WORK is empty: give a copy of a student's chapters/ folder"
fi

# -- What grading needs, checked before anything is built or run.  The
# reports of the last grading go first: whatever stops this one, they must
# not pass for its own.
mkdir -p "$out"
out=$(realpath -- "$out")
case "$out/" in "$(realpath -m -- "$work")"/*) cannot "the output folder $out is inside WORK=$work, which is never written to" ;; esac
rm -f "$out/junit.xml" "$out/results.json"
chapter_ok "$chapter"
[ -d "$work" ] || { echo "check: WORK=$work: no such folder (give a copy of a student's chapters/ folder)" >&2; exit 2; }
work=$(realpath -- "$work")
case "$work/" in "$out"/*) cannot "WORK=$work is inside the output folder $out, which is wiped" ;; esac
# A folder without one exercise file is no submission but the wrong folder:
# a student's whole workbook rather than its chapters/, say.
if [ -z "$(exercises "" | while IFS=$'\t' read -r dir name _; do
	[ ! -f "$work/$dir/$name.c" ] || echo "$dir/$name.c"; done)" ]; then
	fix="give a copy of a student's chapters/ folder"
	[ ! -d "$work/chapters" ] || fix="did you mean WORK=$work/chapters?"
	cannot "WORK=$work holds none of the exercise files (01-net/lo_up.c and the others): $fix"
fi
for tool in bwrap jq xmllint timeout iconv flock setpriv; do
	command -v "$tool" >/dev/null ||
		cannot "$tool is missing: run \`make\` as root, or install the packages in tools/packages.txt"
done
build=$(cd "$build" && pwd)

# One grading at a time writes into OUT: a second would wipe the first's
# programs and reports while it runs.
: >>"$out/.lock"
exec 9<"$out/.lock"
if ! flock -n 9; then
	echo "check: waiting for the grading that is writing to $out" >&2
	flock 9
fi

# The sandbox needs user namespaces: tools/doctor.sh tries them as the
# sandbox's user (a spare uid for root), and names what is missing and the
# fix in the words `make doctor` and `make test` use.
if ! why=$("$here/../../tools/doctor.sh" --quiet 2>&1); then
	mapfile -t lines <<<"$why"
	cannot "the sandbox cannot run here:" "${lines[@]}"
fi

rm -rf "${out:?}/bin" "$out/log" "$out/xml"
mkdir -p "$out/bin" "$out/log" "$out/xml"
read -r -a cflags <<<"${CFLAGS:--std=gnu11 -Wall -Wextra -Werror -O2}"
cc=${CC:-cc}
selected=$(exercises "$chapter")

# The compiler reads any file the source names (#include "/etc/shadow", an
# assembler's .incbin) and quotes it in messages that go back to the
# student, so it runs in a sandbox of its own: /usr, /etc and a copy of the
# exercise's folder (its .c and .h files, no links), as a spare uid when we
# are the machine's root (as tests/sandbox.c does), else as ourselves.
as_sandbox=()
if [ "$(id -u)" -eq 0 ] && [ "$(awk '{print $1, $2, $3; exit}' /proc/self/uid_map 2>/dev/null)" = "0 0 4294967295" ]; then
	spare=$((200000 + $$ % 100000))
	as_sandbox=(setpriv --reuid="$spare" --regid="$spare" --clear-groups --)
fi
tops=()
for top in /bin /sbin /lib /lib32 /lib64 /libx32; do
	if [ -L "$top" ]; then
		tops+=(--symlink "$(readlink "$top")" "$top")
	elif [ -d "$top" ]; then
		tops+=(--ro-bind "$top" "$top")
	fi
done
copies=$(mktemp -d)
trap 'rm -rf "$copies"' EXIT
chmod 755 "$copies"

# compile DIR NAME: builds the student's NAME.c into OUT/bin, its messages in
# OUT/log/NAME.cc; bounded in time, memory and output size.
compile() {
	local copy="$copies/$2" log="$out/log/$2.cc" rc=0
	[ -f "$work/$1/$2.c" ] || return 0
	mkdir -p "$copy/$1"
	find "$work/$1" -maxdepth 1 -type f -size -1024k \
		\( -name '*.c' -o -name '*.h' \) -exec cp -t "$copy/$1" {} +
	chmod -R a+rX "$copy"
	# From the copy's top, so that messages name the file as the student
	# knows it; the program comes out on stdout, the messages on stderr.
	(ulimit -v 2000000 -f 100000 && exec timeout 60 "${as_sandbox[@]}" \
		bwrap --unshare-all --die-with-parent --new-session \
		--ro-bind /usr /usr --ro-bind /etc /etc "${tops[@]}" \
		--proc /proc --dev /dev --tmpfs /tmp --ro-bind "$copy" /work \
		--chdir /work /bin/sh -c '"$@" -o /tmp/program && exec cat /tmp/program' \
		sh "$cc" "${cflags[@]}" "$1/$2.c") \
		</dev/null 9<&- >"$out/bin/$2" 2>"$log" || rc=$?
	if [ "$rc" -eq 0 ]; then
		chmod 755 "$out/bin/$2"
		return
	fi
	rm -f "$out/bin/$2"
	if [ "$rc" -eq 124 ]; then
		echo "(the compiler did not finish within 60 s)" >>"$log"
	else
		echo "(the compiler failed; status $rc)" >>"$log"
	fi
}

# test_exercise DIR NAME SECONDS: runs NAME's suite on OUT/bin/NAME within
# SECONDS; its XML report in OUT/xml/NAME.xml, its exit status in .rc.
test_exercise() {
	local suite="$build/tests/ex-${1#*-}" rc=0
	(cd "$out/xml" && PROGRAM="$out/bin/$2" timeout -k 2 "$3" "$suite" \
		--filter "$2/*" --xml="$2.xml" --always-succeed) \
		</dev/null 9<&- >"$out/log/$2.run" 2>&1 || rc=$?
	echo "$rc" >"$out/xml/$2.rc"
}

while IFS=$'\t' read -r dir name _; do
	[ -x "$build/tests/ex-${dir#*-}" ] ||
		cannot "the test suite $build/tests/ex-${dir#*-} is not built: run \`make check\`, not this script alone"
	compile "$dir" "$name" &
done <<<"$selected"
wait
while IFS=$'\t' read -r dir name _ seconds _; do
	[ -x "$out/bin/$name" ] && test_exercise "$dir" "$name" "$seconds" &
done <<<"$selected"
wait

# -- The report: one record per test, then the table, JUnit and JSON.

# clean: stdin to valid UTF-8 without control characters, for XML and JSON.
clean() {
	iconv -f UTF-8 -t UTF-8 -c | tr -d '\000-\010\013\014\016-\037'
}

# first_observation: from Criterion's failure text on stdin, the first
# assertion's message, without its "file.c:LINE: " prefix nor the indent
# Criterion gives the lines after the first.
first_observation() {
	awk 'NR > 1 && /^[^ ]+\.c:[0-9]+: / { exit }
	     { sub(/^[^ ]+\.c:[0-9]+: /, ""); sub(/^        /, ""); print }' |
		sed '/^[[:space:]]*$/d'
}

# Records, one per test, of nine fields each ended by a NUL: chapter, name,
# title, points, hint, test, passed (true|false), seconds, message.
records="$out/log/records"
: >"$records"
# record TEST PASSED SECONDS MESSAGE: adds a record for the exercise at hand.
record() {
	printf '%s\0' "$ch" "$name" "$title" "$points" "$hint" "$1" "$2" \
		"${3:-0}" "$4" >>"$records"
}

while IFS=$'\t' read -r dir name points seconds tests title hint; do
	ch=${dir#*-}
	xml="$out/xml/$name.xml"
	rc=$(cat "$out/xml/$name.rc" 2>/dev/null || echo none)
	if [ ! -f "$work/$dir/$name.c" ]; then
		record compiles false 0 "there is no $dir/$name.c in WORK: each exercise is graded from its file, where its stub is in chapters/"
		continue
	elif [ ! -x "$out/bin/$name" ]; then
		record compiles false 0 "does not compile:
$(head -n 30 "$out/log/$name.cc" | clean)"
		continue
	fi
	reason=
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		reason="time limit: the tests of this exercise did not finish within $seconds s"
	elif [ ! -s "$xml" ] || ! xmllint --noout "$xml" 2>/dev/null; then
		reason="the test report could not be read (status $rc): $(tail -n 5 "$out/log/$name.run" | clean)"
	fi
	# Each test's "NAME STATUS SECONDS", from one reading of the report.
	suite="//testsuite[@name='$name']/testcase"
	results=$([ -n "$reason" ] || xmllint --xpath \
		"$suite/@name | $suite/@status | $suite/@time" "$xml" 2>/dev/null |
		tr '\n' ' ' | sed 's/ *name="/\n/g; s/" *status="/ /g;
		s/" *time="/ /g; s/"//g' || true)
	IFS=, read -r -a names <<<"$tests"
	for t in "${names[@]}"; do
		read -r _ status time <<<"$(grep "^$t " <<<"$results" || true)"
		if [ -n "$reason" ]; then
			record "$t" false 0 "$reason"
		elif [ "$status" = PASSED ]; then
			record "$t" true "$time" ""
		elif [ -z "$status" ]; then
			record "$t" false 0 "this test did not run: the suite and tests/exercises.tsv disagree"
		else
			node="${suite}[@name='$t']"
			message=$(xmllint --xpath "string($node/failure)" "$xml" |
				first_observation | clean)
			[ -n "$message" ] || message="the test ended as $status: $(
				xmllint --xpath "string($node/*/@message)" "$xml" | clean)"
			record "$t" false "$time" "$message"
		fi
	done
done <<<"$selected"

# The records as JSON: an array of objects, in the list's order.  The last
# field is followed by a sentinel, as jq 1.6's split() drops a final "".
printf 'end\0' >>"$records"
jq -Rs '[split("\u0000") | .[:length - length % 9]
	| range(0; length; 9) as $i | .[$i:$i + 9]
	| { chapter: .[0], name: .[1], title: .[2], points: (.[3] | tonumber),
	    hint: .[4], test: .[5], passed: (.[6] == "true"),
	    time: (.[7] | tonumber? // 0), message: .[8] } ]' \
	"$records" >"$out/log/records.json"

# runs(f): the records, in their order, in arrays of those that follow one
# another with the same f (an exercise's, a chapter's).
# shellcheck disable=SC2016 # jq's variables, not the shell's
runs='def runs(f): reduce .[] as $r ([];
	if length > 0 and (.[-1][0] | f) == ($r | f)
	then .[-1] += [$r] else . + [[$r]] end);
def exercises: [ runs(.name)[] | .[0] + { passed: all(.[]; .passed),
	failures: map(select(.passed | not)) } ];
def pad(n): tostring | if length < n then . + " " * (n - length) else . end;'

# -- The table: a line per exercise; under a failure, the first test that
# failed (the others often follow from it) and the exercise's hint.
jq -r "$runs"'
	exercises as $ex
	| ("chapter" | pad(8)) + ("exercise" | pad(41)) + "points  result",
	  ($ex[] | (.chapter | pad(8)) + ("\(.title) (\(.name))" | pad(41))
		+ ("\(if .passed then .points else 0 end)/\(.points)" | pad(8))
		+ (if .passed then "pass" else "FAIL" end),
		(select(.passed | not) | .failures[0]
			| "\(.test): \(.message)" | split("\n")[:40][]
			| "          " + .),
		(select(.passed | not) | "          hint: \(.hint)")),
	  "Score: \([$ex[] | select(.passed) | .points] | add // 0)/\([$ex[].points] | add // 0)"
	' "$out/log/records.json"

# -- JUnit XML: one testsuite per chapter, one testcase per test, with
# classname CHAPTER.EXERCISE so that CI tools group them.
jq -r "$runs"'
	def esc: @html;
	def failures: map(select(.passed | not)) | length;
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
	"<testsuites name=\"make check\" tests=\"\(length)\" failures=\"\(failures)\">",
	(runs(.chapter)[] |
		"  <testsuite name=\"\(.[0].chapter | esc)\" tests=\"\(length)\" failures=\"\(failures)\">",
		(.[] |
			"    <testcase classname=\"\(.chapter | esc).\(.name | esc)\" name=\"\(.test | esc)\" time=\"\(.time)\">",
			(select(.passed | not) |
				"      <failure message=\"\(.message | split("\n")[0] | esc)\">\(.message | esc)</failure>"),
			"    </testcase>"),
		"  </testsuite>"),
	"</testsuites>"' "$out/log/records.json" >"$out/junit.xml"

# -- Gradescope's results.json: one test per exercise, all or nothing.
jq "$runs"'
	[ exercises[] | {
		name: "\(.chapter): \(.title) (\(.name))",
		max_score: .points,
		score: (if .passed then .points else 0 end),
		status: (if .passed then "passed" else "failed" end),
		output: ([.failures[] | "\(.test): \(.message)"] | join("\n\n")),
		visibility: "visible" } ] as $tests
	| { score: ([$tests[].score] | add // 0),
	    output: "Score: \([$tests[].score] | add // 0)/\([$tests[].max_score] | add // 0)",
	    visibility: "visible", tests: $tests }' \
	"$out/log/records.json" >"$out/results.json"

jq -e 'all(.[]; .passed)' "$out/log/records.json" >/dev/null
