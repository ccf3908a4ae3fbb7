#!/usr/bin/env bash
# bench/vm.sh: how long the test VM takes: `make vm CMD=true` with its pieces
# made, `make test-vm`, and the first `make vm`, which downloads the kernel
# and makes the pieces (in a folder of its own, build/vm-cold, removed after).
#
# Goals on a 2-core machine under TCG: a warm `make vm CMD=true` under 8 s;
# `make test-vm` under 3 minutes.  COLD=0 skips the first-run figure,
# TESTS=0 the test-vm one.  Prints figures; fails only if the VM does not
# run.  Skipped where qemu is not installed and cannot be (not root).
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-3}

# now: seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }

# since START: seconds from START to now, one decimal.
since() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }

# vm_true [VAR=VALUE...]: make vm CMD=true; dies with a pointer if it fails.
vm_true() {
	make -s vm CMD=true "$@" </dev/null >/dev/null 2>&1 ||
		{ echo "bench: make vm CMD=true $* failed; run it to see why" >&2; exit 1; }
}

if ! command -v qemu-system-x86_64 >/dev/null && [ "$(id -u)" -ne 0 ]; then
	echo "skipped: qemu is not installed (sudo apt-get install qemu-system-x86)"
	exit 0
fi

if [ "${COLD:-1}" != 0 ]; then
	cold=build/vm-cold
	rm -rf "$cold"
	start=$(now)
	vm_true VM_DIR="$cold"
	echo "first make vm (downloads the kernel, makes the pieces, probes KVM): $(since "$start") s"
	rm -rf "$cold"
fi

vm_true
# The line the VM prints about itself: kernel, accelerator, CPUs, memory.
make -s vm CMD=true 2>&1 </dev/null | sed -n 's/^vm: /  /p'
start=$(now)
for _ in $(seq "$runs"); do vm_true; done
printf 'warm make vm CMD=true: %.1f s a run, %s runs (goal: under 8 s)\n' \
	"$(echo "($(now) - $start) / $runs" | bc -l)" "$runs"

if [ "${TESTS:-1}" != 0 ]; then
	start=$(now)
	make -s test-vm >/dev/null 2>&1 ||
		{ echo "bench: make test-vm failed; run it to see why" >&2; exit 1; }
	echo "make test-vm: $(since "$start") s, the host's build for it included (goal: under 180 s)"
fi
