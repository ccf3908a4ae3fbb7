#!/usr/bin/env bash
# bench/rootfs.sh: what a root of its own costs.  `build/bin/rootfs true`
# (new PID and mount namespaces, a private tree, the image bound, a /dev of
# six bound nodes, pivot_root, a /proc, the old root detached) against
# `unshare -fpm --mount-proc true` (the same namespaces, a private tree and
# a /proc), side by side in the book's sandbox (book/sandbox.sh), never on
# the machine itself.
#
#     usage: bench/rootfs.sh [RUNS]     (default 200 of each)
#
# The two alternate in rounds of ten, so that a busy machine slows both
# alike.  Goal on a 2-core machine: rootfs at most 1.5x unshare, plus what
# its nine more mounts cost.  Prints figures; fails on nothing but a run
# that fails.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-200}
rounds=$(((runs + 9) / 10))
out=$(book/sandbox.sh <<EOF
set -e
rootfs=0 unshare=0
# round COMMAND...: runs COMMAND ten times; prints the nanoseconds taken.
round() {
	local start end
	start=\$(date +%s%N)
	for _ in 1 2 3 4 5 6 7 8 9 10; do "\$@" >/dev/null; done
	end=\$(date +%s%N)
	echo \$((end - start))
}
for _ in \$(seq $rounds); do
	unshare=\$((unshare + \$(round unshare -fpm --mount-proc true)))
	rootfs=\$((rootfs + \$(round build/bin/rootfs true)))
done
echo "\$unshare \$rootfs"
EOF
)
read -r unshare rootfs <<<"$out"
n=$((rounds * 10))
printf 'unshare -fpm --mount-proc true: %d.%03d ms a run\n' \
	$((unshare / n / 1000000)) $((unshare / n / 1000 % 1000))
printf 'build/bin/rootfs true:          %d.%03d ms a run, %d.%02dx (goal: at most 1.5x, plus its nine more mounts)\n' \
	$((rootfs / n / 1000000)) $((rootfs / n / 1000 % 1000)) \
	$((rootfs / unshare)) $((rootfs * 100 / unshare % 100))
echo "($n runs of each, in rounds of ten, in the book's sandbox)"
