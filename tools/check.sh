#!/usr/bin/env bash
# check.sh: grade one student's exercises: the grader, plainly called.
#
#     usage: tools/check.sh [--built] [-o OUT] [-B BUILD] WORK [CHAPTER]
#            tools/check.sh --harness [-B BUILD]
#
# Builds the test harness into BUILD (build/ of the workbook) if it is not
# built, then grades WORK, a copy of a student's chapters/ folder, with
# tests/grader/grade.sh: the table on standard output, and in OUT
# (BUILD/grade) junit.xml, results.json (Gradescope's schema) and
# classroom.b64 (GitHub Classroom's grading reporter's payload, made from
# results.json).  WORK is never written to.  `make check`, `make
# check-all`, Gradescope's run_autograder and the Classroom workflow all
# call this; so may an instructor's own scripts.  --harness builds the
# harness and stops: for a script that grades many at once, which then
# grades each with --built, which leaves make out (it takes 50 ms even to
# find nothing to do).
#
# Environment: CC, CFLAGS, HINTS, VERBOSE and GRADE_JOBS, as grade.sh reads
# them.
# Exit status: 0 full marks, 1 some test failed, 2 could not grade (the
# reason on stderr, and in classroom.b64 as an error).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
usage="usage: tools/check.sh [--built] [-o OUT] [-B BUILD] WORK [CHAPTER]"
harness_only= built=
case ${1:-} in
--harness) harness_only=yes; shift ;;
--built) built=yes; shift ;;
esac
out=
build=$root/build
while getopts "+o:B:" opt; do
	case $opt in
	o) out=$OPTARG ;;
	B) build=$OPTARG ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ -n "$harness_only" ] && [ $# -eq 0 ]; then
	set -- ""
elif [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "$usage" >&2
	exit 2
fi
work=$1
chapter=${2:-}
out=${out:-$build/grade}
# make reads BUILD from the workbook's top, the grader from here.
build=$(realpath -m -- "$build")
make_build=$build
case $build/ in "$root"/*) make_build=$(realpath -m --relative-to="$root" -- "$build") ;; esac

# classroom STATUS: writes OUT/classroom.b64 from OUT/results.json, or, for
# STATUS 2, an error whose message is the grader's reason (in $reason).
classroom() {
	local payload
	# WORK is never written to, even to say that OUT is inside it.
	case "$(realpath -m -- "$out")/" in "$(realpath -m -- "$work")"/*) return 0 ;; esac
	mkdir -p "$out"
	# A grading's payload grade.sh makes from results.json, in the jq that
	# writes it (jq takes 30 ms to start).
	if [ "$1" -le 1 ] && [ -s "$out/results.json" ] && [ -s "$out/log/classroom.b64" ]; then
		IFS= read -r payload <"$out/log/classroom.b64" || true
		printf '%s' "$payload" >"$out/classroom.b64.new"
	else
		jq -cn --arg why "$reason" --argjson max "$(max_score)" '{
			version: 1, status: "error", max_score: $max,
			tests: [ { name: "grading", status: "error", score: 0,
				max_score: $max, message: $why, line_no: 0 } ] }' |
			tr -d '\n' | base64 -w 0 >"$out/classroom.b64.new"
	fi
	mv -f "$out/classroom.b64.new" "$out/classroom.b64"
}

# max_score: the points of every exercise of the list.
max_score() {
	grep -v '^#' "$root/tests/exercises.tsv" | awk -F '\t' 'NF >= 7 { s += $3 } END { print s + 0 }'
}

# The harness is built by make, as `make check` would, without the caller's
# make flags: this may run inside a make whose job server it cannot reach.
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT
if [ -z "$built" ] && ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$root" --no-print-directory -s \
	B="$make_build" ${CC:+CC="$CC"} ${CFLAGS:+CFLAGS="$CFLAGS"} grade-harness >/dev/null 2>"$errors"; then
	cat "$errors" >&2
	reason="the test harness did not build; the reason is above: a missing package (install it as said), or a fault of the workbook, not of the exercises (\`make test\` shows more)"
	echo "check: cannot grade: $reason" >&2
	[ -n "$harness_only" ] && exit 2
	rm -f "$out/results.json" "$out/junit.xml"
	command -v jq >/dev/null && classroom 2
	exit 2
fi
[ -z "$harness_only" ] || exit 0

# The grader's messages go to stderr as it writes them, and to a file.
exec 3>&1
set +e
"$root/tests/grader/grade.sh" -o "$out" "$build" "$work" "$chapter" 2>&1 >&3 3>&- |
	tee "$errors" >&2 3>&-
rc=${PIPESTATUS[0]}
set -e
exec 3>&-
if [ "$rc" -gt 1 ]; then
	rc=2
	reason=$(grep -v '^check: waiting' "$errors" | sed 's/^check: //' || true)
fi
command -v jq >/dev/null && classroom "$rc"
exit "$rc"
