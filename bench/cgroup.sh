#!/usr/bin/env bash
# bench/cgroup.sh: what a cgroup adds to starting a command.  First
# `build/bin/cgroup --memory 64M --pids 64 --cpu 50 true` against
# `build/bin/pid true` (the same namespaces, no cgroup), alternating in
# rounds of ten so that a busy machine slows both alike; then each step on
# its own, as the kernel's files take it: make a folder in every hierarchy
# the program uses (create), write a pid to their cgroup.procs (move), write
# the three limits (limit), remove the folders (remove), each done N times
# by one shell (bash's own echo, no process started) so that only the step
# is timed.  All of it in the book's sandbox (book/sandbox.sh), in the
# cgroup it gets, never on the machine's own tree.
#
#     usage: bench/cgroup.sh [RUNS]     (default 200 of each)
#
# On v1 the child is moved after clone(), and the first move of a run
# waits for the kernel to let every CPU see it (an RCU grace period, some
# milliseconds on a busy machine), which later moves, as in the loop, need
# not; v2's CLONE_INTO_CGROUP moves nothing.  So the figure a run is the one
# to go by; the steps say where the rest goes.
# Goal: under 2 ms on top of the namespaces.  Prints figures; fails on
# nothing but a run that fails.  Where the sandbox gets no cgroup, says why
# and prints none.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-200}
make -s programs build/tests/cgbox build/tests/escape build/image/busybox.tar >/dev/null
if ! why=$(build/tests/cgbox --layout 2>&1 >/dev/null); then
	echo "no figures: ${why#cgbox: }"
	exit 0
fi
rounds=$(((runs + 9) / 10))
out=$({ echo "runs=$runs rounds=$rounds"; cat <<'EOF2'; } | book/sandbox.sh
set -e
# round COMMAND...: runs COMMAND ten times; prints the nanoseconds taken.
round() {
	local start end
	start=$(date +%s%N)
	for _ in 1 2 3 4 5 6 7 8 9 10; do "$@" >/dev/null; done
	end=$(date +%s%N)
	echo $((end - start))
}
pid=0 cgroup=0
for _ in $(seq "$rounds"); do
	pid=$((pid + $(round build/bin/pid true)))
	cgroup=$((cgroup + $(round build/bin/cgroup --memory 64M --pids 64 --cpu 50 true)))
done
echo "total $pid $cgroup"

# The steps, in the folders cgroup.c would use: a v1 hierarchy for each
# controller, or a v2 folder with the controllers turned on for its
# children.  A folder each: TOP/dN; a limit each: TOP/dN/FILE VALUE.
cd /sys/fs/cgroup
if [ -f cgroup.controllers ]; then
	layout=v2
	mkdir bench
	echo "+memory +pids +cpu" > bench/cgroup.subtree_control
	tops=(bench) files=(bench/memory.max bench/pids.max bench/cpu.max)
	values=(67108864 64 "50000 100000")
else
	layout=v1
	tops=(memory pids cpu)
	files=(memory/memory.limit_in_bytes pids/pids.max cpu/cpu.cfs_quota_us)
	values=(67108864 64 50000)
fi
# The folders' paths, all of them, so that one mkdir and one rmdir do them.
dirs=()
for ((i = 0; i < runs; i++)); do
	for top in "${tops[@]}"; do dirs+=("$top/d$i"); done
done
now() { echo "${EPOCHREALTIME/./}"; }	# microseconds
t0=$(now)
mkdir "${dirs[@]}"
t1=$(now)
for dir in "${dirs[@]}"; do echo $$ > "$dir/cgroup.procs"; done
# Back to the lab's leaf, /sys/fs/cgroup/lab on v2, TOP/lab on v1.
if [ "$layout" = v2 ]; then
	echo $$ > lab/cgroup.procs
else
	for top in "${tops[@]}"; do echo $$ > "$top/lab/cgroup.procs"; done
fi
t2=$(now)
for ((i = 0; i < runs; i++)); do
	for k in "${!files[@]}"; do
		file=${files[k]}
		echo "${values[k]}" > "${file%/*}/d$i/${file##*/}"
	done
done
t3=$(now)
rmdir "${dirs[@]}"
t4=$(now)
[ "$layout" = v1 ] || rmdir bench
echo "steps $((t1 - t0)) $((t2 - t1)) $((t3 - t2)) $((t4 - t3)) ${#tops[@]} $layout"
EOF2
)
read -r _ pid cgroup < <(grep '^total ' <<<"$out")
declare -A took
read -r _ "took[create]" "took[move]" "took[limit]" "took[remove]" folders layout \
	< <(grep '^steps ' <<<"$out")
n=$((rounds * 10))
# ms N: N nanoseconds, as milliseconds.
ms() { printf '%d.%03d ms' $(($1 / 1000000)) $(($1 / 1000 % 1000)); }
echo "build/bin/pid true:    $(ms $((pid / n))) a run"
echo "build/bin/cgroup --memory 64M --pids 64 --cpu 50 true: $(ms $((cgroup / n))) a run," \
	"$(ms $(((cgroup - pid) / n))) more (goal: under 2 ms)"
echo "($n runs of each, in rounds of ten, in the book's sandbox)"
echo "each step for one cgroup, $layout, $folders folder(s), over $runs of them:"
for step in create move limit remove; do
	echo "  $step: $(ms $((took[$step] * 1000 / runs)))"
done
echo "(create and remove: one mkdir and one rmdir for all; move and limit: bash's echo)"
