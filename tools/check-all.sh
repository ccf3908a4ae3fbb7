#!/usr/bin/env bash
# check-all.sh: grade a class: every submission in a folder, a few at a time.
#
#     usage: tools/check-all.sh [-j JOBS] [-f] [-o OUT] [-B BUILD] SUBMISSIONS
#
# Each entry of SUBMISSIONS is one student, named by the entry: a folder
# laid out like chapters/ (or holding chapters/, or one folder that does), a
# .zip or .tar.gz of one, or a git repository (what its HEAD holds).
# tools/unpack.py finds them, and unpacks archives and repositories, in a
# sandbox, into OUT/.work/ID, within limits on size and count; anything else
# is reported and skipped, and a submission that cannot be taken (an
# unreadable archive, a path or link out of it, a zip bomb, an empty folder)
# is refused with the reason.  Each student is graded by tools/check.sh, as
# `make check WORK=` would grade them alone, JOBS at a time (one more than
# the CPUs: one student's unpacking and report, which take one CPU, run
# beside the others' gradings), into OUT/ID (OUT is BUILD/grade/class):
# results.json, junit.xml, classroom.b64 and report.txt (what check.sh
# printed).  Then
# OUT/gradebook.csv, a row per student (the points of each exercise, the
# total, the status and why), and the summary, printed and in
# OUT/summary.txt.  SUBMISSIONS is never written to.
#
# A student whose submission and grader are as when they were last graded
# is not graded again (OUT/ID/key); -f grades everyone again.  The
# exercises' gradings are shared through OUT/.share (GRADE_SHARE in
# tests/grader/grade.sh): a file that two students left as it was is graded
# once, even when both are graded at the same time.  A progress line goes to stderr while it runs.
#
# Environment: CC, CFLAGS, HINTS and VERBOSE, as tools/check.sh reads them.
# Exit status: 0 every submission was graded; 1 some could not be graded or
# were refused (the gradebook says why); 2 the class could not be graded
# (the reason on stderr).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
list=$root/tests/exercises.tsv
usage="usage: tools/check-all.sh [-j JOBS] [-f] [-o OUT] [-B BUILD] SUBMISSIONS"
jobs_max=$(($(nproc 2>/dev/null || echo 1) + 1))
force=
out=
build=$root/build
while getopts "+j:fo:B:" opt; do
	case $opt in
	j) jobs_max=$OPTARG ;;
	f) force=yes ;;
	o) out=$OPTARG ;;
	B) build=$OPTARG ;;
	*) echo "$usage" >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
if [ $# -ne 1 ]; then
	echo "$usage" >&2
	exit 2
fi
[ -n "$1" ] || { echo "check-all: SUBMISSIONS is empty: give the folder that holds the class's submissions, one entry a student" >&2; exit 2; }
[[ $jobs_max =~ ^[1-9][0-9]*$ ]] || { echo "check-all: JOBS must be a number, not '$jobs_max'" >&2; exit 2; }
[ -d "$1" ] || { echo "check-all: SUBMISSIONS=$1: no such folder" >&2; exit 2; }
submissions=$(realpath -- "$1")
build=$(realpath -m -- "$build")
out=$(realpath -m -- "${out:-$build/grade/class}")
case "$out/" in "$submissions"/*) echo "check-all: the output folder $out is inside SUBMISSIONS=$submissions, which is never written to" >&2; exit 2 ;; esac
case "$submissions/" in "$out"/*) echo "check-all: SUBMISSIONS=$submissions is inside the output folder $out" >&2; exit 2 ;; esac
for tool in bwrap python3 jq sha256sum; do
	command -v "$tool" >/dev/null ||
		{ echo "check-all: $tool is missing: run \`make\` as root, or install the packages in tools/packages.txt" >&2; exit 2; }
done

# -- What every student's grading needs, once: the harness, the sandbox.
"$root/tools/check.sh" --harness -B "$build" || exit 2
if ! why=$("$root/tools/doctor.sh" --quiet 2>&1); then
	echo "check-all: cannot grade: the sandbox cannot run here:" >&2
	printf '%s\n' "$why" >&2
	exit 2
fi
mkdir -p "$out/.work" "$out/.share"
exec 8>>"$out/.lock"
flock -n 8 || { echo "check-all: another check-all is writing to $out: waiting" >&2; flock 8; }

# The grader's own checksum: what decides a grade, besides the submission.
grader_key=$({ printf '%s\n' "${CC:-}" "${CFLAGS:-}" "${HINTS:-}" "${VERBOSE:-}"
	cat "$root/tools/check.sh" "$root/tools/unpack.py" "$root/tests/grader/grade.sh" "$list" \
		"$build"/tests/{observer,probe,test-contract,ex-*}
	[ ! -f "$build/image/busybox.tar" ] || cat "$build/image/busybox.tar"; } | sha256sum | cut -c1-64)
mapfile -t names < <(grep -v '^#' "$list" | awk -F '\t' 'NF >= 7 { print $2 }')

# The unpacking sandbox: /usr and python, the archive on stdin, the folder
# it fills; a spare uid when we are the machine's root, as for the tests.
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
box=(bwrap --unshare-all --die-with-parent --new-session --ro-bind /usr /usr
	"${tops[@]}" --proc /proc --dev /dev --tmpfs /tmp --setenv HOME /tmp)

# unpack KIND ENTRY DEST: unpacks the archive or repository ENTRY into DEST;
# prints why it is refused, if it is.  The unpacker fills a scratch folder
# of its own in /tmp, which its user can reach wherever OUT is, and which
# is then copied to DEST.
unpack() {
	local kind=$1 entry=$2 dest=$3 rc=0 scratch
	rm -rf "$dest"
	scratch=$(mktemp -d /tmp/check-all.XXXXXX)
	[ ${#as_sandbox[@]} -eq 0 ] || chown "$spare:$spare" "$scratch"
	# At most about 64 MiB written (the unpacker stops there itself), 1 GB
	# of memory, 60 s; the unpacker itself is copied in.
	local run=(timeout -k 2 60 "${as_sandbox[@]}" "${box[@]}"
		--ro-bind-data 11 /unpack.py --bind "$scratch" /out)
	if [ "$kind" = git ]; then
		command -v git >/dev/null || { echo "git is missing: install git to grade repositories"; rm -rf "$scratch"; return; }
		# git runs as ourselves (it must read the repository) in a
		# sandbox that holds nothing else: a repository's own settings
		# (filters, hooks) cannot reach this machine.
		(ulimit -v 1000000 -f 70000
		 set -o pipefail
		 timeout -k 2 60 "${box[@]}" --ro-bind "$entry" /repo \
			git -c safe.directory='*' -C /repo archive --format=tar HEAD 2>"$scratch.git" |
			"${run[@]}" python3 /unpack.py tar - /out) </dev/null 11<"$root/tools/unpack.py" 2>"$scratch.why" || rc=$?
		if [ "$rc" -ne 0 ] && [ -s "$scratch.git" ] && [ ! -s "$scratch.why" ]; then
			echo "$(basename "$entry"): git cannot read it: $(grep -m1 . "$scratch.git")"
		fi
	else
		(ulimit -v 1000000 -f 70000
		 exec "${run[@]}" python3 /unpack.py "$kind" - /out) <"$entry" 11<"$root/tools/unpack.py" 2>"$scratch.why" || rc=$?
	fi
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		echo "$(basename "$entry"): it took more than 60 s to unpack"
	elif [ "$rc" -ne 0 ]; then
		[ -s "$scratch.why" ] || echo "exit status $rc" >"$scratch.why"
		echo "$(basename "$entry"): $(tail -n 1 "$scratch.why")"
	else
		mkdir -p "$dest"
		cp -R "$scratch/." "$dest/"
	fi
	rm -rf "$scratch" "$scratch.why" "$scratch.git"
}

# row ID STATUS REASON: writes OUT/ID/row, the student's line of the
# gradebook (tab-separated): id, each exercise's points, total, status, why.
row() {
	local id=$1 status=$2 why=$3 dir="$out/$1" scores
	# The scores of results.json, which grade.sh wrote on a line.
	if [ "$status" = graded ] || [ "$status" = "full marks" ]; then
		IFS= read -r scores <"$dir/log/scores.tsv"
	else
		scores=$(printf '\t%.0s' "${names[@]}")
	fi
	printf '%s\t%s\t%s\t%s\n' "$id" "$scores" "$status" "$why" >"$dir/row.new"
	mv -f "$dir/row.new" "$dir/row"
	echo "$status" >>"$out/.done"	# for progress()
}

# grade ID KIND ENTRY KEY: grades one student into OUT/ID.
grade() {
	local id=$1 kind=$2 entry=$3 key=$4 dir="$out/$1" work why rc=0
	mkdir -p "$dir"
	rm -f "$dir/key" "$dir/row"
	work=$entry
	if [ "$kind" != folder ]; then
		why=$(unpack "$kind" "$entry" "$out/.work/$id")
		if [ -n "$why" ]; then
			rm -rf "${out:?}/.work/$id"
			rm -f "$dir/results.json" "$dir/junit.xml" "$dir/classroom.b64"
			echo "check-all: refused: $why" >"$dir/report.txt"
			row "$id" refused "$why"
			echo "$key" >"$dir/key"
			return
		fi
		if ! work=$("$root/tools/unpack.py" find "$list" "$out/.work/$id" 2>&1); then
			why="$(basename "$entry"): $work"
			rm -f "$dir/results.json" "$dir/junit.xml" "$dir/classroom.b64"
			echo "check-all: refused: $why" >"$dir/report.txt"
			row "$id" refused "$why"
			echo "$key" >"$dir/key"
			return
		fi
	fi
	GRADE_SHARE="$out/.share" GRADE_CC_CACHE= \
		"$root/tools/check.sh" --built -o "$dir" -B "$build" "$work" >"$dir/report.txt" 2>&1 || rc=$?
	case $rc in
	0) row "$id" "full marks" "" ;;
	1) row "$id" graded "" ;;
	*) row "$id" "could not grade" "$(grep -m1 '^check: ' "$dir/report.txt" | sed 's/^check: //')" ;;
	esac
	# Could not grade is not kept: the reason may be the machine's.
	[ "$rc" -gt 1 ] || echo "$key" >"$dir/key"
}

# -- The class.
mapfile -t entries < <("$root/tools/unpack.py" scan "$list" "$submissions")
todo=()
skipped=()
kept=0
for line in "${entries[@]}"; do
	IFS=$'\t' read -r id kind sum what <<<"$line"
	case $kind in
	skipped) skipped+=("$id: $what"); continue ;;
	refused)
		mkdir -p "$out/$id"
		rm -f "$out/$id/key" "$out/$id/results.json" "$out/$id/junit.xml" "$out/$id/classroom.b64"
		echo "check-all: refused: $what" >"$out/$id/report.txt"
		row "$id" refused "$what"
		continue ;;
	esac
	key=$(printf '%s %s %s\n' "$grader_key" "$kind" "$sum" | sha256sum | cut -c1-64)
	if [ -z "$force" ] && [ -f "$out/$id/row" ] && [ "$(cat "$out/$id/key" 2>/dev/null)" = "$key" ]; then
		kept=$((kept + 1))
		continue
	fi
	todo+=("$id"$'\t'"$kind"$'\t'"$what"$'\t'"$key")
done
for line in "${skipped[@]}"; do echo "check-all: skipped $line" >&2; done

# progress: one line on how far the grading is: on a terminal rewritten in
# place, otherwise a line each time a student is done.
total=${#todo[@]}
start=$SECONDS
: >"$out/.done"
shown=-1
progress() {
	local finished failed left eta=""
	finished=$(wc -l <"$out/.done")
	failed=$(grep -cv -e '^graded$' -e '^full marks$' "$out/.done" || true)
	[ "$finished" -ne "$shown" ] || { [ "${1:-}" = final ] && [ -t 2 ]; } || return 0
	shown=$finished
	left=$((total - finished))
	if [ "$finished" -gt 0 ] && [ "$left" -gt 0 ]; then
		eta=", about $(((SECONDS - start) * left / finished + 1)) s left"
	fi
	local text="check-all: $finished of $total done, $failed of them not graded$eta"
	if [ -t 2 ]; then
		printf '\r%-78s' "$text" >&2
		[ "${1:-}" != final ] || echo >&2
	else
		echo "$text" >&2
	fi
}
[ "$kept" -eq 0 ] || echo "check-all: $kept unchanged since they were last graded (-f or FORCE=1 grades them again)" >&2
echo "check-all: grading $total of the class, $jobs_max at a time" >&2
for line in "${todo[@]}"; do
	IFS=$'\t' read -r id kind what key <<<"$line"
	while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
		wait -n || true
		progress
	done
	grade "$id" "$kind" "$what" "$key" &
done
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do
	wait -n || true
	progress
done
wait
[ "$total" -eq 0 ] || progress final

# -- The gradebook, in the order of the scan; then the summary.
{
	printf 'student\t%s\ttotal\tstatus\treason\n' "$(IFS=$'\t'; echo "${names[*]}")"
	for line in "${entries[@]}"; do
		id=${line%%$'\t'*}
		[ "$(cut -f2 <<<"$line")" = skipped ] || cat "$out/$id/row"
	done
} >"$out/gradebook.tsv"
# CSV: every field quoted, quotes doubled.
awk -F '\t' '{ line = ""; for (i = 1; i <= NF; i++) { f = $i; gsub(/"/, "\"\"", f)
	line = line (i > 1 ? "," : "") "\"" f "\"" } print line }' "$out/gradebook.tsv" >"$out/gradebook.csv"
max=$(grep -v '^#' "$list" | awk -F '\t' 'NF >= 7 { s += $3 } END { print s + 0 }')
awk -F '\t' -v n="${#names[@]}" -v max="$max" -v skipped="${#skipped[@]}" -v out="$out" '
	NR == 1 { for (i = 2; i <= n + 1; i++) name[i] = $i; next }
	{ students++; status = $(n + 3) }
	status == "refused" { refused++; next }
	status == "could not grade" { cannot++; next }
	{ graded++; total = $(n + 2); sum += total; totals[graded] = total
	  b = max ? int(total * 10 / max) : 10; if (b > 10) b = 10; bucket[b]++
	  for (i = 2; i <= n + 1; i++) if ($i > 0) pass[i]++ }
	END {
		printf "check-all: %d students: %d graded, %d could not be graded, %d refused", students, graded, cannot, refused
		if (skipped) printf "; entries that are no submission, skipped: %d", skipped
		printf "\n"
		if (graded) {
			printf "totals (of %d): mean %.1f\n", max, sum / graded
			for (b = 10; b >= 0; b--) {
				lo = int((b * max + 9) / 10); hi = b == 10 ? max : int(((b + 1) * max + 9) / 10) - 1
				if (hi < lo) continue
				bar = ""; for (k = 0; k < bucket[b]; k++) bar = bar "#"
				printf "  %5s  %3d  %s\n", lo == hi ? lo : lo "-" hi, bucket[b], bar
			}
			printf "passed, by exercise:\n"
			for (i = 2; i <= n + 1; i++)
				printf "  %-12s %3d of %d  %3d%%\n", name[i], pass[i], graded, 100 * pass[i] / graded
		}
		printf "gradebook: %s/gradebook.csv\n", out
	}' "$out/gradebook.tsv" | tee "$out/summary.txt"
! grep -q -P '\t(refused|could not grade)\t' "$out/gradebook.tsv"
