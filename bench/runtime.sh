#!/usr/bin/env bash
# bench/runtime.sh: chapter 11's runtime against runc and crun, side by side.
#
#     usage: bench/runtime.sh [RUNS]     (default 20 of each; Podman a
#                                         quarter of that, the VM half)
#
# 1. `runtime run` and `runc run` of one bundle: chapter 7's image, read-only,
#    and the configuration `runc spec` writes, running `true` (less the
#    ambient capabilities, which that configuration asks for without the
#    inheritable ones the kernel needs beside them: runc lets them go, this
#    runtime refuses).  Goal: at most half of runc's time.
# 2. `podman run --rm IMAGE true` with each runtime.  Goal: no slower.
# 3. In the test VM (tools/vm.sh: cgroup v2 alone, which crun needs and
#    this machine's hybrid layout is not), 1 again, and `crun run` of the
#    same bundle against `runtime run`.  Goal: no slower than crun.  Under
#    TCG everything is many times slower than here: the ratios are the
#    figures that count.  (`bench/runtime.sh --in-vm RUNS` is that part,
#    as the guest runs it.)
#
# As root on the machine, like `make test-podman`: the worked runtime is the
# only one of the workbook's programs trusted there.  Without root, runc or
# Podman, says what it skips and exits 0; crun is installed for part 3 when
# it is missing (root can).  The runtimes alternate in rounds of five, so
# that a busy machine slows each alike.  Leaves nothing behind: the bundle,
# the states and the image go at the end.  Prints figures; fails on nothing
# but a run that fails.
set -euo pipefail
cd "$(dirname "$0")/.."

in_vm=
if [ "${1:-}" = --in-vm ]; then
	in_vm=yes
	shift
fi
runs=${1:-20}
runtime=$PWD/build/bin/runtime
if [ "$(id -u)" -ne 0 ] || ! command -v runc >/dev/null; then
	echo "skipped: runtime against runc needs root and runc (make test-podman installs it)"
	exit 0
fi
for f in "$runtime" build/image/busybox/bin/true; do
	[ -e "$f" ] || { echo "bench/runtime.sh: no $f: run \`make\` first" >&2; exit 1; }
done
runc=$(command -v runc)
tmp=$(mktemp -d)
image=localhost/workbook-runtime-bench:$$
cleanup() {
	podman rmi -f "$image" >/dev/null 2>&1 || true
	rm -rf "$tmp"
}
trap cleanup EXIT

(cd "$tmp" && "$runc" spec)
python3 - "$tmp/config.json" "$PWD/build/image/busybox" <<'EOF'
import json, sys
path, root = sys.argv[1], sys.argv[2]
with open(path) as f:
    c = json.load(f)
c["process"].update(terminal=False, args=["true"])
del c["process"]["capabilities"]["ambient"]
c["root"] = {"path": root, "readonly": True}
with open(path, "w") as f:
    json.dump(c, f)
EOF

# round N CMD...: runs CMD N times; prints the nanoseconds taken.
round() {
	local n=$1 start end
	shift
	start=$(date +%s%N)
	for ((i = 0; i < n; i++)); do "$@" >/dev/null; done
	end=$(date +%s%N)
	echo $((end - start))
}

# race NAME_A NAME_B RUNS: alternates rounds of five of the commands A and B
# (arrays), then prints both figures and B over A.
race() {
	local rounds=$((($3 + 4) / 5)) a=0 b=0 n
	for ((r = 0; r < rounds; r++)); do
		a=$((a + $(round 5 "${A[@]}")))
		b=$((b + $(round 5 "${B[@]}")))
	done
	n=$((rounds * 5))
	printf '%-44s %4d.%03d ms a run\n' "$1" $((a / n / 1000000)) $((a / n / 1000 % 1000))
	printf '%-44s %4d.%03d ms a run, %d.%02dx of %s\n' "$2" $((b / n / 1000000)) \
		$((b / n / 1000 % 1000)) $((b / a)) $((b * 100 / a % 100)) "$1"
	echo "($n runs of each, in rounds of five)"
}

A=("$runc" --root "$tmp/runc" run --bundle "$tmp" bench-runc)
B=("$runtime" --root "$tmp/ours" run --bundle "$tmp" bench-ours)
race "runc run (true)" "runtime run (true, goal: at most 0.50x)" "$runs"
if [ -n "$in_vm" ]; then
	A=(crun --root "$tmp/crun" run --bundle "$tmp" bench-crun)
	race "crun run (true)" "runtime run (true, goal: at most 1.00x)" "$runs"
fi
# run removes the cgroup it made for the bundle's resources, as delete does.
if [ -n "$(find /sys/fs/cgroup -maxdepth 3 -name '*bench-ours*' -print -quit)" ]; then
	echo "bench/runtime.sh: runtime run left its cgroup under /sys/fs/cgroup" >&2
	exit 1
fi
[ -z "$in_vm" ] || exit 0

if command -v podman >/dev/null; then
	podman import -q build/image/busybox.tar "$image" >/dev/null
	A=(podman --runtime "$runc" --cgroup-manager=cgroupfs run --rm --pull=never --network=none "$image" true)
	B=(podman --runtime "$runtime" --cgroup-manager=cgroupfs run --rm --pull=never --network=none "$image" true)
	race "podman run --rm true, runc" "podman run --rm true, runtime (goal: 1.00x)" $((runs / 4))
else
	echo "skipped: podman run with each: no podman (make test-podman installs it)"
fi

# 3. The guest shares this machine's /, crun included.
if ! command -v crun >/dev/null; then
	apt-get install -y -q --no-install-recommends crun >/dev/null 2>&1 ||
		{ apt-get update -q >/dev/null && apt-get install -y -q --no-install-recommends crun >/dev/null; } ||
		{ echo "skipped: against crun: crun is not installed, and could not be"; exit 0; }
fi
echo "in the test VM, cgroup v2 alone:"
tools/vm.sh bash bench/runtime.sh --in-vm $(((runs + 1) / 2)) 2>&1 | sed 's/^/  /'
