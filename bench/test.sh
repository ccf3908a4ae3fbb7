#!/usr/bin/env bash
# bench/test.sh: how long `make clean && make test` takes, and what one
# sandboxed test costs next to a bare bubblewrap start.
#
# Goals on a 2-core machine: the chapters' tests under 30 s; one sandboxed
# test no more than twice a bare `bwrap ... true`.  Prints figures; fails on nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${RUNS:-20}

# now: seconds since the epoch, with nanoseconds.
now() { date +%s.%N; }

# per_run START END: milliseconds per run between two `now`s.
per_run() { echo "scale=1; ($2 - $1) * 1000 / $runs" | bc; }

start=$(now)
make -s clean
make -s test >/dev/null 2>&1 || { echo "bench: make test failed; run it to see why" >&2; exit 1; }
end=$(now)
printf 'make clean && make test: %.1f s, everything built and every step run\n' "$(echo "$end - $start" | bc)"

# Each step of make test alone, on what is now built: the chapters' step is
# the one with a goal (under 30 s); the others are there to see where the
# time goes.
for step in $(make -s -p -q 2>/dev/null | sed -n 's/^TEST_STEPS = //p'); do
	start=$(now)
	make -s "$step" >/dev/null 2>&1 || { echo "bench: make $step failed" >&2; exit 1; }
	end=$(now)
	goal=""
	[ "$step" = test-chapters ] && goal=" (goal: under 30 s)"
	printf '  %-20s %5.1f s%s\n' "$step" "$(echo "$end - $start" | bc)" "$goal"
done

# The same drop, namespaces and binds as tests/harness/sandbox.c.
as_spare=()
[ "$(id -u)" -eq 0 ] && as_spare=(setpriv --reuid=200001 --regid=200001 --clear-groups)
bwrap=("${as_spare[@]}" bwrap --unshare-user --uid 0 --gid 0 --unshare-pid
	--unshare-net --unshare-uts --unshare-ipc --unshare-cgroup-try
	--die-with-parent --new-session --cap-add ALL --clearenv
	--setenv PATH /usr/sbin:/usr/bin --ro-bind /usr /usr --ro-bind /etc /etc
	--symlink usr/bin /bin --symlink usr/lib /lib --symlink usr/lib64 /lib64
	--proc /proc --dev /dev --tmpfs /tmp)

# time_runs COMMAND...: milliseconds a run of COMMAND, over $runs runs.
time_runs() {
	local start end
	start=$(now)
	for _ in $(seq "$runs"); do "$@" >/dev/null 2>&1 || true; done
	end=$(now)
	per_run "$start" "$end"
}

# One sandbox as a test starts it (tests/harness/sandbox.c): the observer, as PID 1
# with the same limits, runs uts, which runs the probe.
sandbox() {
	"${bwrap[@]}" --as-pid-1 --dir /box --perms 0755 --file 10 /box/observer \
		--perms 0755 --file 11 /box/probe --perms 0755 --file 12 /box/uts \
		/box/observer --nproc 256 --memory $((256 << 20)) \
		--time-limit 4000 --files $((64 << 20)) -- /box/uts /box/probe --hold \
		10<build/tests/observer 11<build/tests/probe 12<build/bin/uts
}

bare_ms=$(time_runs "${bwrap[@]}" true)
box_ms=$(time_runs sandbox)
empty_ms=$(time_runs build/tests/test-contract --filter 'none/none' -j1)
suite_ms=$(time_runs build/tests/test-contract -j1)
tests=$(build/tests/test-contract -l | grep -c '──')
per_test=$(echo "scale=1; ($suite_ms - $empty_ms) / $tests" | bc)

echo "bare bwrap ... true:            $bare_ms ms a run ($runs runs each)"
echo "a test's sandbox (uts + probe): $box_ms ms, $(echo "scale=2; $box_ms / $bare_ms" | bc)x bare (goal: at most 2x)"
echo "a sandboxed test, in a suite:   $per_test ms ($tests contract tests, one job; the rest is Criterion's own process per test)"
