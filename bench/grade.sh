#!/usr/bin/env bash
# bench/grade.sh: how long grading takes, cold and warm.
#
#     usage: bench/grade.sh
#
# cold: `make clean && make check WORK=solutions`, everything built from
#       nothing: the set-up check, the harness, the suites, the exercises.
# warm: then `touch` one exercise and `make check CHAPTER=net
#       WORK=solutions`, the loop a student runs on every save.
# Goals on the 2-core development machine: cold under 20 s, warm under 2 s.
# Prints both, with the score each run printed; exit 1 if a run did not
# score full marks.
set -euo pipefail
cd "$(dirname "$0")/.."

# run LABEL GOAL-SECONDS COMMAND...: times COMMAND; prints the time, the goal
# and the last line the command printed.
run() {
	local label=$1 goal=$2 start end status=0 last
	shift 2
	start=$(date +%s%N)
	last=$("$@" 2>&1 | tail -n 1) || status=$?
	end=$(date +%s%N)
	printf '%-5s %6.2f s  (goal: under %s s)  %s\n' "$label" \
		"$(((end - start) / 1000000))e-3" "$goal" "$last"
	return "$status"
}

make clean >/dev/null
run cold 20 make check WORK=solutions
touch solutions/01-net/lo_up.c
run warm 2 make check CHAPTER=net WORK=solutions
