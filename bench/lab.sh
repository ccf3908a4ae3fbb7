#!/usr/bin/env bash
# bench/lab.sh: the lab image's size, and how long `make lab CMD=true` takes
# cold (no lab image: it is built, the base image is kept) and warm.
#
# Goals on a 2-core machine: warm under 2 s, so that the lab opens like a
# shell; cold under 5 minutes, most of it the packages' download.  COLD=0
# skips the cold run, which removes and rebuilds the lab image.  Prints
# figures; fails only if the lab does not start.  Skipped where no container
# engine answers.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-5}

# The build fetches packages on the host's network and the runs need none:
# neither adds a bridge or a firewall rule to the machine.
export LAB_BUILD_OPTS=${LAB_BUILD_OPTS---network=host}
export LAB_RUN_OPTS=${LAB_RUN_OPTS---network=none}

if ! which=$(tools/lab.sh --which 2>&1); then
	echo "skipped: $which"
	exit 0
fi
read -r engine image <<<"$which"

# now: seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }

# lab_true: starts the lab to run `true`; dies with a pointer if it fails.
lab_true() {
	make -s lab CMD=true </dev/null >/dev/null 2>&1 ||
		{ echo "bench: make lab CMD=true failed; run it to see why" >&2; exit 1; }
}

if [ "${COLD:-1}" != 0 ]; then
	"$engine" rmi "$image" >/dev/null 2>&1 || true
	start=$(now)
	lab_true
	printf 'cold make lab CMD=true (builds %s): %.1f s (goal: under 300 s)\n' \
		"$image" "$(echo "$(now) - $start" | bc)"
fi

lab_true
start=$(now)
for _ in $(seq "$runs"); do lab_true; done
printf 'warm make lab CMD=true: %.2f s a run, %s runs (goal: under 2 s)\n' \
	"$(echo "($(now) - $start) / $runs" | bc -l)" "$runs"

size=$("$engine" image inspect --format '{{.Size}}' "$image")
echo "image $image ($engine): $((size / 1000000)) MB"
