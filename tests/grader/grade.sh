#!/usr/bin/env bash
# grade.sh: grade the exercises, as `make check` runs it.
#
#     usage: tests/grader/grade.sh [-o OUT] BUILD_DIR WORK [CHAPTER]
#            tests/grader/grade.sh --files WORK [CHAPTER]
#
# For every exercise of tests/exercises.tsv (of CHAPTER only, if given: "net"
# or "01-net"), compiles WORK/CHAPTER/NAME.c into OUT/bin/NAME (OUT defaults
# to BUILD_DIR/grade), runs its suite in the sandbox (BUILD_DIR/tests/ex-*,
# with PROGRAM set to that build) and, once all its tests pass, the rules of
# the contract on status (BUILD_DIR/tests/test-contract: usage, the
# command's status, 127, 126 and 128+N), each within the exercise's time limit, and
# prints a table: chapter,
# exercise, points, result, and under each failure the first observation
# that failed.  An exercise scores its points when all its tests pass.  The
# last line is "Score: X/Y".  Writes OUT/junit.xml and OUT/results.json
# (Gradescope).  Nothing is ever written into WORK.  --files prints the
# sources to watch.
#
# The exercise's hint is printed under its failure once the same test has
# failed first twice in a row for the same WORK (OUT/hints keeps count), or
# always with HINTS=1, never with HINTS=0.  VERBOSE=1 prints every failed
# test and every observation that failed, not only the first.
#
# Environment: CC and CFLAGS, the compiler and flags (make passes its own);
# GRADE_JOBS, how many exercises are graded at once (the number of CPUs);
# GRADE_CC_CACHE, where compiles are kept (BUILD_DIR/cc-cache; empty:
# nowhere); GRADE_SHARE, a folder where graded exercises are kept by the
# checksum of their files and of the grader, so that an exercise whose
# files another grading has already graded, or is grading, is not graded
# again (check-all shares one among a class: untouched stubs are graded
# once);
# GRADE_ONLY, words NAME/TEST: exercise NAME is run on TEST alone, the
# others reported as not run (its self-test's mutants, each made to fail
# one test: a failed test scores the exercise 0, so the rest need not run);
# WORKBOOK_TIME_SCALE, how many times slower than here everything runs (1;
# the test VM under emulation sets more), by which every limit in time is
# stretched, the exercises' here and the sandbox's (tests/harness/sandbox.c),
# while the reports name them unstretched;
# the compiler runs in a sandbox that holds /usr and /etc, and a copy of the
# exercise's .c and .h files, nothing else.
# An exercise this machine cannot run (chapter 8's where the sandbox gets no
# cgroup, or any whose tests skip) is "not graded": it scores nothing, the
# reason is in the table, and the grading ends with status 2, whatever the
# rest scored.
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
work_arg=$work
chapter=${3:-}
out=${out:-$build/grade}
# make check WORK= (a script's unset variable, say) arrives here empty.
if [ -z "$work" ]; then
	rm -f "$out/junit.xml" "$out/results.json"	# see below
	cannot "WORK is empty: give a copy of a student's chapters/ folder"
fi

scale=${WORKBOOK_TIME_SCALE:-1}
[[ $scale =~ ^[1-9][0-9]*$ ]] || cannot "WORKBOOK_TIME_SCALE must be a whole number, not '$scale'"

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

rm -rf "${out:?}/bin" "$out/log" "$out/xml" "$out/cache"
mkdir -p "$out/bin" "$out/log" "$out/xml" "$out/cache"
read -r -a cflags <<<"${CFLAGS:--std=gnu11 -Wall -Wextra -Werror -O2}"
# Without -g and its kin: debugging information changes no instruction of
# the program (GCC's promise), no program graded is debugged, and it costs
# a fifth of each compile.
for k in "${!cflags[@]}"; do
	[[ ${cflags[k]} != -g* ]] || unset 'cflags[k]'
done
cflags=("${cflags[@]}")
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

# Where the student's editor finds WORK: as given, or relative to here.
shown=${work_arg%/}
case "$shown" in /*) [ "${shown#"$PWD"/}" = "$shown" ] || shown=${shown#"$PWD"/} ;; esac

# libraries DIR: sets libs to the libraries the exercises of chapter DIR
# link with, the same as its worked program's (the Makefile's LDLIBS).
libraries() {
	case $1 in
	09-network) libs=(-lmnl) ;;
	10-privileges) libs=(-lcap -lseccomp) ;;
	11-runtime) libs=(-ljansson) ;;
	*) libs=() ;;
	esac
}

# cannot_run DIR: sets why_not[DIR] to why the exercises of chapter DIR
# cannot be run here, or to nothing: chapter 8's need a cgroup for the
# sandbox (tests/harness/cgbox.h).
declare -A why_not=()
cannot_run() {
	why_not[$1]=
	case $1 in
	08-cgroup) why_not[$1]=$({ "$build/tests/cgbox" --layout 2>&1 >/dev/null || true; } | sed 's/^cgbox: //') ;;
	esac
}

# Compiles are kept in GRADE_CC_CACHE (BUILD_DIR/cc-cache unless set; empty:
# none), by the checksum of the compiler, its flags and headers, this
# script, and the files the compiler is given: the program and the
# compiler's messages.  The compiler sees the same files at the same paths
# (/work), so the same files give the same program.  make check and make
# watch then compile only what changed, and make test each file once.
cc_cache=${GRADE_CC_CACHE-$build/cc-cache}
if [ -n "$cc_cache" ]; then
	mkdir -p "$cc_cache"
	cc_key=$({ printf '%s\n' "$cc" "${cflags[@]}"
		stat -L -c '%n %s %Y' "$(command -v "$cc")" "$("$cc" -print-prog-name=cc1)" \
			/usr/include /usr/include/*-linux-gnu 2>/dev/null
		cat "$0"; } | sha256sum | cut -c1-64)
fi

# compile DIR NAME: builds the student's NAME.c into OUT/bin, its messages in
# OUT/log/NAME.cc (the files named as WORK/DIR/FILE, so that an editor opens
# them); bounded in time, memory and output size.
compile() {
	local copy="$copies/$2" log="$out/log/$2.cc" rc=0 libs kept= tmp
	libraries "$1"
	[ -f "$work/$1/$2.c" ] || return 0
	# install: the folder made, the files copied readable by the sandbox's
	# user, in one process.
	find "$work/$1" -maxdepth 1 -type f -size -1024k \
		\( -name '*.c' -o -name '*.h' \) -exec install -D -m 644 -t "$copy/$1" {} +
	if [ -n "$cc_cache" ]; then
		kept="$cc_cache/$( { printf '%s\n' "$cc_key" "$1/$2" "${libs[@]}"
			cd "$copy" && find . -type f -print0 | sort -z | xargs -0 sha256sum; } |
			sha256sum | cut -c1-64)"
	fi
	if [ -n "$kept" ] && [ -f "$kept/program" ]; then
		cp "$kept/program" "$out/bin/$2"
		cp "$kept/messages" "$log"
	else
		# From the copy's top, so that messages name the file as the
		# student knows it; the program comes out on stdout, the
		# messages on stderr.
		(ulimit -v 2000000 -f 100000 && exec timeout $((60 * scale)) "${as_sandbox[@]}" \
			bwrap --unshare-all --die-with-parent --new-session \
			--ro-bind /usr /usr --ro-bind /etc /etc "${tops[@]}" \
			--proc /proc --dev /dev --tmpfs /tmp --ro-bind "$copy" /work \
			--chdir /work /bin/sh -c '"$@" -o /tmp/program && exec cat /tmp/program' \
			sh "$cc" "${cflags[@]}" "$1/$2.c" "${libs[@]}") \
			</dev/null 9<&- >"$out/bin/$2" 2>"$log" || rc=$?
		# Only a program is kept: a failure may be the machine's (the
		# time limit), and costs a compile again.
		if [ "$rc" -eq 0 ] && [ -n "$kept" ] && tmp=$(mktemp -d "$cc_cache/.new.XXXXXX"); then
			cp "$out/bin/$2" "$tmp/program"
			cp "$log" "$tmp/messages"
			mv -T "$tmp" "$kept" 2>/dev/null || rm -rf "$tmp"
		fi
	fi
	# The messages name the files as WORK/DIR/FILE; most compiles have none.
	[ ! -s "$log" ] || { awk -v dir="$1/" -v work="$shown/" '{
		out = ""
		while ((i = index($0, dir)) > 0) {
			before = i == 1 ? "" : substr($0, i - 1, 1)
			if (i == 1 || before == " " || before == "(")
				out = out substr($0, 1, i - 1) work dir
			else
				out = out substr($0, 1, i - 1 + length(dir))
			$0 = substr($0, i + length(dir))
		}
		print out $0 }' "$log" >"$log.raw" && mv -f "$log.raw" "$log"; }
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

# run_suite NAME SECONDS REPORT SUITE [ARG...]: runs SUITE on OUT/bin/NAME
# within SECONDS; its XML report in OUT/xml/REPORT.xml, its exit status in
# OUT/xml/REPORT.rc, what it printed in OUT/log/REPORT.run.
run_suite() {
	local name=$1 seconds=$(($2 * scale)) report=$3 rc=0
	shift 3
	# Tests that make the same observation share one run (sandbox.c).
	(cd "$out/xml" && PROGRAM="$out/bin/$name" SANDBOX_CACHE="$out/cache/$name" \
		timeout -k 2 "$seconds" \
		"$@" --xml="$report.xml" --always-succeed) \
		</dev/null 9<&- >"$out/log/$report.run" 2>&1 || rc=$?
	echo "$rc" >"$out/xml/$report.rc"
}

# test_exercise DIR NAME SECONDS: runs NAME's suite on OUT/bin/NAME within
# SECONDS; then, if every test of it passed, the contract, within SECONDS
# again (a failed exercise has lost its points already).
test_exercise() {
	local only
	only_test "$2"
	case $only in
	contract.*)	# the exercise's own tests, then that rule alone
		run_suite "$2" "$3" "$2" "$build/tests/ex-${1#*-}" --filter "$2/*" ;;
	*) run_suite "$2" "$3" "$2" "$build/tests/ex-${1#*-}" --filter "$2/${only:-*}" ;;
	esac
	[ -z "$only" ] || [ "${only#contract.}" != "$only" ] || return 0
	all_passed "$out/xml/$2.xml" "$2" || return 0
	run_suite "$2" "$3" "$2.contract" "$build/tests/test-contract" \
		--filter "contract/${only:+${only#contract.}}${only:-@($contract_tests)}"
}

# scan_report XML SUITE: reads the tests of the Criterion suite SUITE from
# the report XML into status_of and time_of, by name; report_whole says
# whether the report ends as Criterion ends it.  Read by the shell, line by
# line as Criterion writes it: a line a suite, a line a test, a line a
# failure, whose text (what the program said, often) can pass for nothing
# else.  Criterion 2.4 puts only a failure's first line in CDATA and writes
# the others as they are: a program that prints "<command>" or "&" would
# make the report no XML, which xmllint then refuses (and the grading
# once failed every test for it).  Those lines are escaped here, and the
# report written again.  A grading reads hundreds of reports: an xmllint
# each cost more than the rest of the reading.
declare -A status_of=() time_of=()
scan_report() {
	local line last= in= head body plain fixed= lines=()
	local re='^ *<testcase name="([^"]*)" assertions="[0-9]*" status="([^"]*)" time="([^"]*)"'
	status_of=() time_of=() report_whole=
	[ -f "$1" ] || return 0
	while IFS= read -r line; do
		last=$line
		case $line in
		*'<failure '*'<![CDATA['*']]>'*'</failure>')
			head=${line%%']]>'*}']]>' body=${line#*']]>'}
			body=${body%'</failure>'}
			# The entities Criterion writes, and those escaped here
			# already (all_passed reads the report, then the report
			# again), are kept as they are.
			plain=${body//'&#10;'/}
			plain=${plain//'&lt;'/} plain=${plain//'&gt;'/} plain=${plain//'&amp;'/}
			case $plain in
			*['<>&']*)
				body=${body//'&#10;'/$'\001'} body=${body//'&lt;'/$'\002'}
				body=${body//'&gt;'/$'\003'} body=${body//'&amp;'/$'\004'}
				body=${body//'&'/'&amp;'}
				body=${body//'<'/'&lt;'}
				body=${body//'>'/'&gt;'}
				body=${body//$'\001'/'&#10;'} body=${body//$'\002'/'&lt;'}
				body=${body//$'\003'/'&gt;'} body=${body//$'\004'/'&amp;'}
				line=$head$body'</failure>'
				fixed=yes ;;
			esac ;;
		*'<failure '*) ;;
		*'<testsuite name="'"$2"'" '*) in=yes ;;
		*'<testsuite '*) in= ;;
		*'<testcase '*)
			if [ -n "$in" ] && [[ $line =~ $re ]]; then
				status_of[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
				time_of[${BASH_REMATCH[1]}]=${BASH_REMATCH[3]}
			fi ;;
		esac
		lines+=("$line")
	done <"$1"
	[ "$last" != "</testsuites>" ] || report_whole=yes
	[ -z "$fixed" ] || printf '%s\n' "${lines[@]}" >"$1"
}

# all_passed XML SUITE: whether the report XML holds tests of SUITE, and
# every one PASSED.
all_passed() {
	local status
	scan_report "$1" "$2"
	[ -n "$report_whole" ] && [ ${#status_of[@]} -gt 0 ] || return 1
	for status in "${status_of[@]}"; do
		[ "$status" = PASSED ] || return 1
	done
}

# only_test NAME: sets only to the one test of NAME that GRADE_ONLY names,
# or to nothing (a variable, not a $(...): no process for it).
only_test() {
	local pick
	only=
	for pick in ${GRADE_ONLY:-}; do
		[ "${pick%%/*}" != "$1" ] || { only=${pick#*/}; return; }
	done
}

# The contract's rules on status, which every exercise is graded on: the
# chapters' own suites hold the worked programs to the whole contract.
contract_tests='usage_without_a_command|exit_status_passes_through|signal_becomes_128_plus_n|missing_command_explained|unrunnable_command_126'

# throttle: waits until fewer than JOBS of our jobs run, one a CPU.  A job
# compiles an exercise, then tests it, while another compiles.  Two a CPU
# grade the solutions in 4.8 s here, not 6.7 s; but each suite runs its
# tests side by side too, and a fork bomb then took longer to reach the
# sandbox's process limit than its time limit allows: more at once only
# brings every limit in time nearer.
jobs_max=${GRADE_JOBS:-$(nproc 2>/dev/null || echo 1)}
# The running jobs are counted from a file that the builtin jobs writes:
# a pipe to wc would cost two processes each time, hundreds a grading.
running="$out/log/.running"
throttle() {
	local pids
	while jobs -rp >"$running" && mapfile -t pids <"$running" &&
		[ "${#pids[@]}" -ge "$jobs_max" ]; do
		wait -n || true
	done
}

# -- Exercises graded before, by the same grader, from the same files: what
# that grading left (the program, the suites' reports, the records) is kept
# in GRADE_SHARE/KEY, and taken instead of grading again.  Only outcomes
# that do not depend on the machine's load are kept: a program that
# compiled and suites that ended by themselves.
share=${GRADE_SHARE:-}
if [ -n "$share" ]; then
	mkdir -p "$share"
	share=$(realpath -- "$share")
	grader_key=$({ printf '%s\n' "$cc" "${cflags[@]}"
		printf '%s\n' "${GRADE_ONLY:-}"
		cat "$0" "$list" "$build"/tests/{observer,probe,test-contract,ex-*}
		[ ! -f "$build/image/busybox.tar" ] || cat "$build/image/busybox.tar"; } |
		sha256sum | cut -c1-64)
fi
# The key of each exercise (key_of, by name): the grader's, the name, and
# the name and checksum of each file compile() would copy.  One sha256sum
# for every file of WORK, one for every key: a class holds thousands of
# exercises, and a few processes each would cost more than their grading
# where it is shared.
declare -A key_of=()
if [ -n "$share" ]; then
	declare -A sums_of=()
	keys=$(mktemp -d)
	mapfile -t dirs < <(cut -f1 <<<"$selected" | uniq)
	while IFS= read -r line; do
		file=${line#*  } dir=${file%/*}
		sums_of[${dir##*/}]+="${line%%  *}  ./${file##*/}"$'\n'
	done < <(cd "$work" && find "${dirs[@]}" -maxdepth 1 -type f -size -1024k \
		\( -name '*.c' -o -name '*.h' \) -print0 2>/dev/null | sort -z | xargs -0 -r sha256sum)
	while IFS=$'\t' read -r dir name _; do
		[ ! -f "$work/$dir/$name.c" ] ||
			printf '%s %s\n%s' "$grader_key" "$name" "${sums_of[$dir]:-}" >"$keys/$name"
	done <<<"$selected"
	while read -r sum name; do
		key_of[$name]=$sum
	done < <(cd "$keys" && find . -type f -printf '%f\0' | xargs -0 -r sha256sum)
	rm -rf "$keys"
fi
# share_take NAME: takes NAME's grading from the share, if it is there: its
# records in shared_from (by name), its files (the program, the reports)
# in take_*, for three cp in all once every exercise is seen.
declare -A shared_from=()
take_bin=() take_xml=() take_log=()
share_take() {
	local kept file
	[ -n "$share" ] && [ -n "${key_of[$1]:-}" ] || return 1
	kept="$share/${key_of[$1]}"
	[ -f "$kept/$1.records" ] || return 1
	shared_from[$1]=$kept
	take_bin+=("$kept/$1")
	for file in "$kept/$1".*; do
		case $file in
		*.records) ;;
		*.run) take_log+=("$file") ;;
		*) take_xml+=("$file") ;;
		esac
	done
}
# share_keep NAME: keeps NAME's grading (OUT/log/NAME.records), unless it
# depended on the load: a suite stopped by the time limit, or a test that
# a time limit failed.
share_keep() {
	local kept=$share/${key_of[$1]:-} tmp rc code files fields
	[ -n "${key_of[$1]:-}" ] && [ -z "${shared_from[$1]:-}" ] && [ -x "$out/bin/$1" ] &&
		[ ! -e "$kept" ] || return 0
	files=("$out/bin/$1" "$out/log/$1.records")
	for rc in "$out/xml/$1.rc" "$out/xml/$1.contract.rc"; do
		[ -f "$rc" ] || continue
		read -r code <"$rc" && [ "$code" = 0 ] || return 0
		files+=("$rc" "${rc%.rc}.xml")
	done
	mapfile -d '' fields <"$out/log/$1.records"
	[[ ${fields[*]} != *"time limit: "* ]] || return 0
	for rc in "$out/log/$1".run "$out/log/$1".contract.run; do
		[ ! -f "$rc" ] || files+=("$rc")
	done
	tmp="$share/.new.$BASHPID.$1"
	{ mkdir "$tmp" && cp -t "$tmp" "${files[@]}" && mv -T "$tmp" "$kept"; } 2>/dev/null ||
		rm -rf "$tmp"
}

# -- The report: one record per test, then the table, JUnit and JSON.

# clean: stdin to valid UTF-8 without control characters, for XML and JSON.
clean() {
	iconv -f UTF-8 -t UTF-8 -c | tr -d '\000-\010\013\014\016-\037'
}

# observations FILE...: for each FILE, a Criterion failure text as xmllint
# prints it (valid UTF-8: libxml2 reads nothing else), each assertion's
# message, without control characters (as clean() leaves a text), its
# "file.c:LINE: " prefix, the indent Criterion gives the lines after the
# first, or blank lines; the messages separated by a line "--", and the
# whole followed by a byte \001, which none of them can hold.  One awk for
# every failure of a report, not three processes each.
observations() {
	awk 'BEGIN {
		c = sprintf("%c", 1)
		ctl = "[" c "-" sprintf("%c", 8) sprintf("%c%c", 11, 12) \
		      sprintf("%c", 14) "-" sprintf("%c", 31) "]"
		for (i = 1; i < ARGC; i++) {
			n = 0
			while ((getline line < ARGV[i]) > 0) {
				gsub(ctl, "", line)
				if (++n > 1 && line ~ /^[^ ]+\.c:[0-9]+: /)
					print "--"
				sub(/^[^ ]+\.c:[0-9]+: /, "", line)
				sub(/^        /, "", line)
				if (line !~ /^[[:space:]]*$/)
					print line
			}
			close(ARGV[i])
			printf "%s", c
		}
	}' "$@"
}

# Records, one per test, of ten fields each ended by a NUL: chapter, name,
# title, points, hint, test, passed (true|false), seconds, message (the
# first observation that failed), all (every one).
# Each exercise's go in OUT/log/NAME.records (what the share keeps), and
# all of them, in the list's order, in OUT/log/records.
records=
parts=()
# record TEST PASSED SECONDS MESSAGE [ALL]: adds a record for the exercise at
# hand.
record() {
	printf '%s\0' "$ch" "$name" "$title" "$points" "$hint" "$1" "$2" \
		"${3:-0}" "$4" "${5:-$4}" >>"$records"
}

# read_report REPORT SUITE SECONDS: reads the Criterion suite SUITE's tests
# from OUT/xml/REPORT.xml (scan_report); or, when the suite was stopped or
# its report is unreadable, why into report_reason.
report_reason= report_read=
read_report() {
	local rc=none
	[ "$report_read" != "$1/$2" ] || return 0	# read already
	report_read="$1/$2"
	status_of=() time_of=() report_reason=
	[ ! -f "$out/xml/$1.rc" ] || read -r rc <"$out/xml/$1.rc" || true
	if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		report_reason="time limit: the tests of this exercise did not finish within $3 s"
		return
	fi
	scan_report "$out/xml/$1.xml" "$2"
	if [ -z "$report_whole" ]; then
		status_of=() time_of=()
		report_reason="the test report could not be read (status $rc): $(tail -n 5 "$out/log/$1.run" | clean)"
	fi
}

# record_suite REPORT SUITE SECONDS PREFIX [TEST...]: a record for each test
# of the Criterion suite SUITE in OUT/xml/REPORT.xml, named PREFIX.TEST (or
# TEST with an empty prefix): the tests given, or all the report holds.
record_suite() {
	local report=$1 suite_name=$2 seconds=$3 prefix=$4 xml t status node message all
	shift 4
	xml="$out/xml/$report.xml"
	read_report "$report" "$suite_name" "$seconds"
	if [ $# -eq 0 ]; then
		if [ -n "$report_reason" ]; then
			record "$prefix" false 0 "$report_reason"
			return
		fi
		# shellcheck disable=SC2046 # one word a test
		set -- $(printf '%s\n' "${!status_of[@]}" | sort)
	fi
	local cases="//testsuite[@name='$suite_name']/testcase" failed=() texts=() k=0
	# Every failure's text first, an xmllint each, then one observations.
	declare -A all_of=()
	if [ -z "$report_reason" ]; then
		for t in "$@"; do
			status=${status_of[$t]:-}
			# A skipped test has no text (Criterion writes <skipped/>).
			[ -n "$status" ] && [ "$status" != PASSED ] && [ "$status" != SKIPPED ] || continue
			failed+=("$t")
			texts+=("$out/log/$report.failure.${#failed[@]}")
			xmllint --xpath "string(${cases}[@name='$t']/failure)" "$xml" >"${texts[-1]}" 2>/dev/null || true
		done
	fi
	if [ ${#failed[@]} -gt 0 ]; then
		while IFS= read -r -d $'\001' all; do
			while [ "${all%$'\n'}" != "$all" ]; do all=${all%$'\n'}; done
			all_of[${failed[k++]}]=$all
		done < <(observations "${texts[@]}")
		rm -f "${texts[@]}"
	fi
	for t in "$@"; do
		status=${status_of[$t]:-}
		if [ -n "$report_reason" ]; then
			record "${prefix:+$prefix.}$t" false 0 "$report_reason"
		elif [ "$status" = PASSED ]; then
			record "${prefix:+$prefix.}$t" true "${time_of[$t]}" ""
		elif [ -z "$status" ]; then
			record "${prefix:+$prefix.}$t" false 0 "this test did not run: the suite and tests/exercises.tsv disagree"
		else
			node="${cases}[@name='$t']"
			all=${all_of[$t]:-}
			# The first observation: up to the first line "--".
			message=${all%%$'\n'--$'\n'*}
			message=${message%$'\n'--}
			if [ -z "$message" ] && [ "$status" = SKIPPED ]; then
				message="the test ended as SKIPPED: "
			elif [ -z "$message" ]; then
				message="the test ended as $status: $(
					{ xmllint --xpath "string($node/*/@message)" "$xml" 2>/dev/null || true; } | clean)"
			fi
			record "${prefix:+$prefix.}$t" false "${time_of[$t]}" "$message" "${all:-$message}"
		fi
	done
}

# report_one DIR NAME POINTS SECONDS TESTS TITLE HINT: the records of one
# exercise (a line of the list), from its compile and its suites' reports,
# in OUT/log/NAME.records, and OUT/log/NAME.recorded once they are whole;
# then, if it is kept, into the share.
report_one() {
	records_of "$@"
	: >"$out/log/$2.recorded"
	[ -z "$share" ] || share_keep "$2"
}
records_of() {
	local dir=$1 t skipped names
	name=$2 points=$3 seconds=$4 tests=$5 title=$6 hint=$7 ch=${1#*-}
	records="$out/log/$name.records"
	: >"$records"
	if [ ! -f "$work/$dir/$name.c" ]; then
		record compiles false 0 "there is no $dir/$name.c in WORK: each exercise is graded from its file, where its stub is in chapters/"
		return
	elif [ ! -x "$out/bin/$name" ]; then
		record compiles false 0 "does not compile:
$(head -n 30 "$out/log/$name.cc" | clean)"
		return
	fi
	if [ -f "$out/log/$name.cannot" ]; then
		record cannot-grade false 0 "this machine cannot run its tests: $(clean <"$out/log/$name.cannot")"
		return
	fi
	# A test that skips says this machine cannot run it.
	only_test "$name"
	read_report "$name" "$name" "$seconds"
	skipped=
	for t in "${!status_of[@]}"; do
		[ "${status_of[$t]}" != SKIPPED ] || [ -n "${only:-}" -a "$t" != "${only:-}" ] || skipped=yes
	done
	if [ -n "$skipped" ]; then
		echo "its tests skipped here" >"$out/log/$name.cannot"
		record cannot-grade false 0 "its tests skipped here, as this machine cannot run them (\`make test\` says why)"
		return
	fi
	IFS=, read -r -a names <<<"$tests"
	record_suite "$name" "$name" "$seconds" "" "${names[@]}"
	# shellcheck disable=SC2086 # one word a test
	[ ! -f "$out/xml/$name.contract.rc" ] ||
		record_suite "$name.contract" contract "$seconds" contract \
			${contract_tests//|/ }
}

# grade_one DIR NAME POINTS SECONDS TESTS TITLE HINT: compiles one
# exercise, runs its tests unless this machine cannot run them (why_not,
# of DIR), and records them.  Each exercise is tested once compiled, while
# others compile: a test that waits for its program leaves the CPU to a
# compiler.  And it is kept in the share at once, for another grading
# that waits for it (claim).
grade_one() {
	compile "$1" "$2"
	if [ -x "$out/bin/$2" ] && [ -n "${why_not[$1]}" ]; then
		printf '%s\n' "${why_not[$1]}" >"$out/log/$2.cannot"
	elif [ -x "$out/bin/$2" ]; then
		test_exercise "$1" "$2" "$4"
	fi
	report_one "$@"
	release "${key_of[$2]:-}"
}

# claim KEY: whether this grading takes on the exercise of KEY, or another
# one has it in hand (check-all grades students side by side, and the
# files they left as they were are the same): GRADE_SHARE/.busy.KEY holds
# the pid of the grading that has it until its job ends, then "done"; it
# is made by the shell alone (noclobber is O_EXCL).  One that no live
# grading holds is taken over.
claim() {
	local marker="$share/.busy.$1" owner=
	[ -n "$share" ] || return 0
	set -C
	if { echo "$$" >"$marker"; } 2>/dev/null; then
		set +C
		return 0
	fi
	set +C
	read -r owner <"$marker" 2>/dev/null || true
	! grading "$owner" || return 1
	echo "$$" >|"$marker"
}
# release KEY: the job that claimed KEY has ended, kept or not.
release() {
	local marker="$share/.busy.$1" owner=
	[ -n "$share" ] && read -r owner <"$marker" 2>/dev/null && [ "$owner" = "$$" ] || return 0
	echo done >|"$marker"
}
# grading PID: whether PID is another grading, alive: a pid is soon
# another process's on a machine that grades a class.
grading() {
	local argv=()
	[[ $1 =~ ^[0-9]+$ ]] && [ "$1" != "$$" ] && kill -0 "$1" 2>/dev/null &&
		mapfile -d '' -t argv <"/proc/$1/cmdline" 2>/dev/null &&
		[[ ${argv[1]:-} == */grade.sh ]]
}
# wait_for KEY NAME: waits until the share holds NAME's grading of KEY, or
# no grading has it in hand, or wait_until (in SECONDS) has come.
wait_for() {
	local marker="$share/.busy.$1" owner
	while [ ! -f "$share/$1/$2.records" ] && [ "$SECONDS" -lt "$wait_until" ] &&
		read -r owner <"$marker" 2>/dev/null && grading "$owner"; do
		sleep 0.2
	done
}

# -- The grading: each exercise compiled, tested and recorded by a job of
# its own, JOBS at a time, unless the share holds it.
# launch: starts the job of the exercise at hand (dir, name and the rest of
# its line), once fewer than JOBS run.
launch() {
	[ -n "${why_not[$dir]+set}" ] || cannot_run "$dir"
	throttle
	grade_one "$dir" "$name" "$points" "$seconds" "$tests" "$title" "$hint" &
}
deferred=()
while IFS=$'\t' read -r dir name points seconds tests title hint; do
	for suite in "$build/tests/ex-${dir#*-}" "$build/tests/test-contract"; do
		[ -x "$suite" ] ||
			cannot "the test suite $suite is not built: run \`make check\`, not this script alone"
	done
	! share_take "$name" || continue
	if [ ! -f "$work/$dir/$name.c" ]; then
		report_one "$dir" "$name" "$points" "$seconds" "$tests" "$title" "$hint"
		continue
	fi
	if [ -n "${key_of[$name]:-}" ] && ! claim "${key_of[$name]}"; then
		deferred+=("$dir"$'\t'"$name"$'\t'"$points"$'\t'"$seconds"$'\t'"$tests"$'\t'"$title"$'\t'"$hint")
		continue
	fi
	launch
done <<<"$selected"
# What another grading had in hand: taken from the share once it is kept
# there, or graded here; two minutes at most are spent waiting for them.
wait_until=$((SECONDS + 120 * scale))
for line in "${deferred[@]}"; do
	IFS=$'\t' read -r dir name points seconds tests title hint <<<"$line"
	wait_for "${key_of[$name]}" "$name"
	! share_take "$name" || continue
	claim "${key_of[$name]}" || true
	launch
done
wait
[ ${#take_bin[@]} -eq 0 ] || cp -t "$out/bin/" "${take_bin[@]}"
[ ${#take_xml[@]} -eq 0 ] || cp -t "$out/xml/" "${take_xml[@]}"
[ ${#take_log[@]} -eq 0 ] || cp -t "$out/log/" "${take_log[@]}"
while IFS=$'\t' read -r dir name points seconds tests title hint; do
	if [ -n "${shared_from[$name]:-}" ]; then
		parts+=("${shared_from[$name]}/$name.records")
		continue
	fi
	# A job that died left its records unfinished: the grader's fault,
	# which its messages above tell; the exercise is not graded.
	if [ ! -f "$out/log/$name.recorded" ]; then
		ch=${dir#*-} records="$out/log/$name.records"
		: >"$records"
		echo "the grader stopped while grading it" >"$out/log/$name.cannot"
		record cannot-grade false 0 "the grader stopped while grading it (its messages say why): a fault of the workbook, not of the exercise"
	fi
	parts+=("$out/log/$name.records")
done <<<"$selected"
records="$out/log/records"
cat "${parts[@]}" >"$records"

# runs(f): the records, in their order, in arrays of those that follow one
# another with the same f (an exercise's, a chapter's).
# shellcheck disable=SC2016 # jq's variables, not the shell's
runs='def runs(f): reduce .[] as $r ([];
	if length > 0 and (.[-1][0] | f) == ($r | f)
	then .[-1] += [$r] else . + [[$r]] end);
def exercises: [ runs(.name)[] | .[0] + { passed: all(.[]; .passed),
	failures: map(select(.passed | not)) } ];
def pad(n): tostring | if length < n then . + " " * (n - length) else . end;'

# The records as JSON, an array of objects in the list's order, on the
# first line; then, a line each, every exercise and the first test it
# failed.  The last field is followed by a sentinel, as jq 1.6's split()
# drops a final "".  (jq takes 30 ms to start: two runs in all, not seven.)
printf 'end\0' >>"$records"
{
	IFS= read -r json
	printf '%s\n' "$json" >"$out/log/records.json"
	mapfile -t firsts
} < <(jq -Rsr "$runs"'[split("\u0000") | .[:length - length % 10]
	| range(0; length; 10) as $i | .[$i:$i + 10]
	| { chapter: .[0], name: .[1], title: .[2], points: (.[3] | tonumber),
	    hint: .[4], test: .[5], passed: (.[6] == "true"),
	    time: (.[7] | tonumber? // 0), message: .[8], all: .[9] } ]
	| tojson, (exercises[] | "\(.name)\t\(.failures[0].test // "")")' "$records")
[ -n "$json" ] || cannot "the records of this grading could not be read (jq failed)"

# -- Which hints to show: HINTS=1 all, HINTS=0 none; otherwise an
# exercise's hint once the same test has failed first in two checks of
# this WORK in a row (OUT/hints/WORK-KEY/NAME holds "TEST COUNT").
hints_dir="$out/hints/$(printf '%s' "$work" | sha256sum | cut -c1-16)"
mkdir -p "$hints_dir"
show_hints=()
for line in "${firsts[@]}"; do
	name=${line%%$'\t'*} first=${line#*$'\t'}
	state="$hints_dir/$name"
	if [ -z "$first" ] || [ "$first" = cannot-grade ]; then
		rm -f "$state"
		continue
	fi
	count=1
	if [ -f "$state" ] && read -r last n <"$state" && [ "$last" = "$first" ]; then
		count=$((n + 1))
	fi
	printf '%s %s\n' "$first" "$count" >"$state"
	case "${HINTS:-}" in
	1) show_hints+=("$name") ;;
	0) ;;
	*) [ "$count" -lt 2 ] || show_hints+=("$name") ;;
	esac
done

# -- The reports, from one run of jq, parted by a line holding only an
# ASCII record separator (the records hold no control character): the
# table, for stdout; JUnit XML; Gradescope's results.json; whether every
# test passed; and two parts for the callers, below.
# The table: a line per exercise; under a failure, the first test that
# failed (the others often follow from it), or with VERBOSE=1 every failed
# test and every observation; then the exercise's hint, or word of it.
# JUnit XML: one testsuite per chapter, one testcase per test, with
# classname CHAPTER.EXERCISE so that CI tools group them.
# results.json: one test per exercise, all or nothing.
jq -r --arg verbose "${VERBOSE:-}" --arg quiet "$([ "${HINTS:-}" = 0 ] && echo 1)" "$runs"'
	def esc: @html;
	def failures: map(select(.passed | not)) | length;
	def table: $ARGS.positional as $hints | exercises as $ex
	| ("chapter" | pad(11)) + ("exercise" | pad(41)) + "points  result",
	  ($ex[] | (.chapter | pad(11)) + ("\(.title) (\(.name))" | pad(41))
		+ ("\(if .passed then .points else 0 end)/\(.points)" | pad(8))
		+ (if .passed then "pass" elif .failures[0].test == "cannot-grade"
		   then "not graded" else "FAIL" end),
		(select(.passed | not)
			| (if $verbose == "1" then .failures[] | "\(.test): \(.all)"
			   elif .failures[0].test == "cannot-grade" then .failures[0].message
			   else .failures[0] | "\(.test): \(.message)" end)
			| split("\n")[:40][] | "          " + .),
		(select(.passed | not) | select(.failures[0].test != "cannot-grade")
			| if (.name | IN($hints[])) then "          hint: \(.hint)"
			  elif $quiet == "1" then empty
			  else "          (a hint comes if this fails again, or with HINTS=1)" end)),
	  "Score: \([$ex[] | select(.passed) | .points] | add // 0)/\([$ex[].points] | add // 0)";
	def junit:
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
	"</testsuites>";
	def results:
	[ exercises[] | {
		name: "\(.chapter): \(.title) (\(.name))",
		max_score: .points,
		score: (if .passed then .points else 0 end),
		status: (if .passed then "passed" else "failed" end),
		output: ([.failures[] | "\(.test): \(.message)"] | join("\n\n")),
		visibility: "visible" } ] as $tests
	| { score: ([$tests[].score] | add // 0),
	    output: "Score: \([$tests[].score] | add // 0)/\([$tests[].max_score] | add // 0)",
	    visibility: "visible", tests: $tests };
	def classroom: results | { version: 1,
		status: (if all(.tests[]; .status == "passed") then "pass" else "fail" end),
		max_score: ([.tests[].max_score] | add // 0),
		tests: [ .tests[] | { name, score, max_score,
			status: (if .status == "passed" then "pass" else "fail" end),
			message: .output, line_no: 0 } ] } | tojson | @base64;
	table, "\u001e", junit, "\u001e", results, "\u001e", all(.[]; .passed),
	"\u001e", classroom,
	"\u001e", (results | [.tests[].score] + [.score] | map(tostring) | join("\t"))
	' "$out/log/records.json" --args "${show_hints[@]}" >"$out/log/reports"
# stdout gets the table; the files, the rest.  The last two parts are for
# tools/check.sh and check-all.sh: GitHub Classroom's payload made from
# results.json, which check.sh writes out (OUT/classroom.b64), and the
# scores of results.json on a line, tab-separated, each exercise's then
# the total, a row of check-all's gradebook.
awk -v junit="$out/junit.xml" -v json="$out/results.json" -v passed="$out/log/passed" \
	-v classroom="$out/log/classroom.b64" -v scores="$out/log/scores.tsv" '
	$0 == "\036" { part++; next }
	part == 0 { print; next }
	part == 1 { print > junit; next }
	part == 2 { print > json; next }
	part == 3 { print > passed; next }
	part == 4 { printf "%s", $0 > classroom; next }
	{ print > scores }' "$out/log/reports"

# Not graded: the score stands for less than the work, so no status says
# full marks or a failure.
if [ -n "$(cd "$out/log" && find . -name '*.cannot' -print -quit)" ]; then
	printf 'check: could not grade every exercise here:\n' >&2
	for file in "$out/log/"*.cannot; do
		printf '  %s: %s\n' "$(basename "$file" .cannot)" "$(cat "$file")" >&2
	done
	exit 2
fi
read -r passed <"$out/log/passed" && [ "$passed" = true ]
