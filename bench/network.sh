#!/usr/bin/env bash
# bench/network.sh: what a cable costs.  `build/bin/network` (a veth pair,
# its addresses and route, over netlink) against `build/bin/net` (the same
# namespace, unwired), side by side in the book's sandbox (book/sandbox.sh),
# never on the machine itself.
#
#     usage: bench/network.sh [RUNS]     (default 50 of each)
#
# Each run's command prints the time it starts: the set-up is the time from
# starting the program to its command starting, the tear-down the time from
# there to the program's end (the command itself, `date`, is in both, and
# the same for both programs).  The two alternate, so that a busy machine
# slows both alike.  Goal on a 2-core machine: the netlink set-up under
# 3 ms on top of net's.  The tear-down is mostly the kernel's: it answers
# the deletion of a pair only once every CPU is done with it.  Prints
# figures; fails on nothing but a run that fails.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-50}
out=$(book/sandbox.sh <<EOF
set -e
# run PROGRAM: runs PROGRAM date once; prints its set-up and its tear-down,
# in microseconds.
run() {
	local start began end
	start=\${EPOCHREALTIME/./}
	began=\$("\$1" date +%s%6N)
	end=\${EPOCHREALTIME/./}
	echo \$((began - start)) \$((end - began))
}
net_up=0 net_down=0 network_up=0 network_down=0
for _ in \$(seq $runs); do
	read -r up down < <(run build/bin/net)
	net_up=\$((net_up + up)) net_down=\$((net_down + down))
	read -r up down < <(run build/bin/network)
	network_up=\$((network_up + up)) network_down=\$((network_down + down))
done
echo "\$net_up \$net_down \$network_up \$network_down"
EOF
)
read -r net_up net_down network_up network_down <<<"$out"

# ms MICROSECONDS: prints the mean of a run in milliseconds, as D.DDD.
ms() {
	local us=$(($1 / runs))
	printf '%d.%03d' $((us / 1000)) $((us % 1000))
}
printf '%-16s %10s %10s %10s\n' "" "set-up" "tear-down" "whole"
printf '%-16s %7s ms %7s ms %7s ms\n' "net date" "$(ms "$net_up")" \
	"$(ms "$net_down")" "$(ms $((net_up + net_down)))"
printf '%-16s %7s ms %7s ms %7s ms\n' "network date" "$(ms "$network_up")" \
	"$(ms "$network_down")" "$(ms $((network_up + network_down)))"
on_top=$((network_up - net_up))
printf 'netlink set-up on top of net: %s ms a run (goal: under 3 ms)\n' \
	"$(ms "$on_top")"
printf 'tear-down on top of net: %s ms a run, most of it the kernel deleting the pair\n' \
	"$(ms $((network_down - net_down)))"
echo "($runs runs of each, alternating, in the book's sandbox; load: $(cut -d' ' -f1-3 /proc/loadavg))"
