#!/usr/bin/env bash
# bench/class.sh: how long a class takes to grade.
#
#     usage: bench/class.sh
#
# A class of 40 is generated in a scratch folder: a third with every
# exercise solved, a third with the stubs as handed out, a third half done
# (the first chapters solved, the rest stubs); as folders, zips and
# tarballs.  Every solved file carries its student's name in a comment, as
# every student's own code differs from the others': only stubs left as
# they were are the same from one student to the next.
# cold:   make check-all on it, from nothing (the harness built already);
# again:  one student's submission changed, then make check-all again;
# vm:     one solutions submission graded through the test VM under TCG,
#         as run_autograder does where namespaces are refused, every file
#         compiled, as in Gradescope's fresh container (skipped when there
#         is no tools/vm.sh).
# Goals on the 2-core development machine: cold under 90 s, again under
# 10 s, vm under 4 minutes.  Prints each figure with the machine's load
# average before and after it, and what the cold run graded; exit 1 if a
# run did not give the grades it must.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

make -s grade-harness >/dev/null
tmp=$(mktemp -d /var/tmp/bench-class.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
subs="$tmp/subs"
out="$tmp/out"
mkdir -p "$subs"
mapfile -t exercises < <(grep -v '^#' tests/exercises.tsv | awk -F '\t' 'NF >= 7 { print $1 "/" $2 }')
half=$((${#exercises[@]} / 2))

# student N KIND: the files of student N, KIND solved, stubs or half, in
# $tmp/s/NAME/.
student() {
	local name dir i=0 ex
	name=$(printf 'student%02d' "$1")
	dir="$tmp/s/$name"
	for ex in "${exercises[@]}"; do
		mkdir -p "$dir/${ex%/*}"
		if [ "$2" = solved ] || { [ "$2" = half ] && [ "$i" -lt "$half" ]; }; then
			{ echo "/* $name's solution */"; cat "solutions/$ex.c"; } >"$dir/$ex.c"
		else
			cp "chapters/$ex.c" "$dir/$ex.c"
		fi
		i=$((i + 1))
	done
	case $(($1 % 3)) in
	0) mv "$dir" "$subs/$name" ;;
	1) (cd "$dir" && python3 -c 'import os, sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
    for top, _, files in os.walk("."):
        for f in files: z.write(os.path.join(top, f))' "$subs/$name.zip") ;;
	2) tar -C "$dir" -czf "$subs/$name.tar.gz" . ;;
	esac
}
kinds=(solved stubs half)
for n in $(seq 1 40); do
	student "$n" "${kinds[$((n % 3))]}"
done

load() { cut -d' ' -f1-3 /proc/loadavg; }
status=0
# run LABEL GOAL COMMAND...: times COMMAND, prints the figure.
run() {
	local label=$1 goal=$2 before start ms rc=0
	shift 2
	before=$(load)
	start=$(date +%s%N)
	"$@" >"$tmp/$label.out" 2>&1 || rc=$?
	ms=$((($(date +%s%N) - start) / 1000000))
	printf '%-6s %7.1f s  (goal: under %s s)  load %s before, %s after\n' \
		"$label" "$((ms / 100))e-1" "$goal" "$before" "$(load)"
	return "$rc"
}

# The cold class must be graded whole, every student of the 40.
run cold 90 tools/check-all.sh -o "$out" "$subs" || true
grep -q '^check-all: 40 students: 40 graded' "$tmp/cold.out" ||
	{ echo "bench: the class was not all graded:"; tail -n 30 "$tmp/cold.out"; status=1; }
graded=$(find "$out/.share" -mindepth 1 -maxdepth 1 -type d ! -name '.new*' | wc -l)
echo "       $graded exercise gradings for $((40 * ${#exercises[@]})) exercises handed in: the others were stubs left as they were, graded once"
sed -n '/^totals/,/^gradebook/p' "$tmp/cold.out" | grep -v '^ *[0-9-]* *0 *$' | sed 's/^/       /'

# One late submission: student03 (a folder, all solved) hands in a new
# version of one exercise.
{ echo "/* student03's late solution */"; cat "solutions/${exercises[0]}.c"; } \
	>"$subs/student03/${exercises[0]}.c"
run again 10 tools/check-all.sh -o "$out" "$subs" || true
grep -q '^check-all: grading 1 of the class' "$tmp/again.out" ||
	{ echo "bench: the re-run did not grade one student:"; tail -n 5 "$tmp/again.out"; status=1; }

if [ -x tools/vm.sh ]; then
	# As run_autograder grades in the VM; the guest sees the workbook,
	# not this machine's /var/tmp.
	rm -rf build/bench-vm
	mkdir -p build/bench-vm
	cp -a solutions build/bench-vm/work
	make -s B=build/vm/build grade-harness >/dev/null
	run vm 240 env VM_ACCEL=tcg VM_MEMORY=384M VM_TB_SIZE=64 VM_CPUS=1 \
		tools/vm.sh env WORKBOOK_TIME_SCALE=20 GRADE_CC_CACHE= \
		tools/check.sh -o "$root/build/bench-vm/out" -B "$root/build/vm/build" \
		"$root/build/bench-vm/work" || true
	rm -rf build/bench-vm
	grep -q "^Score: \([0-9]*\)/\1$" "$tmp/vm.out" ||
		{ echo "bench: the VM did not grade full marks:"; tail -n 10 "$tmp/vm.out"; status=1; }
	grep -m1 '^vm: ' "$tmp/vm.out" | sed 's/^/       /'
else
	echo "vm     skipped: there is no test VM (tools/vm.sh) in this tree"
fi
echo "       $(nproc) CPUs; $root"
exit "$status"
