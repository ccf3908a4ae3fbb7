#!/usr/bin/env bash
# bench/privileges.sh: what less power costs.  `build/bin/privileges true`
# (chapter 7's root, plus a user namespace whose maps the parent writes, a
# UTS namespace, the capability sets cut, no_new_privs and a seccomp
# filter of some thirty rules) against `build/bin/rootfs true`, side by
# side in the book's sandbox (book/sandbox.sh), never on the machine
# itself.
#
#     usage: bench/privileges.sh [RUNS]     (default 200 of each)
#
# The two alternate in rounds of ten, so that a busy machine slows both
# alike.  Goal on a 2-core machine: privileges at most 1.5x rootfs, whose
# mounts cost more than a user namespace, a few prctl() calls and a filter
# of some sixty instructions should.  Prints figures; fails on nothing but
# a run that fails.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-200}
rounds=$(((runs + 9) / 10))
out=$(book/sandbox.sh <<EOF2
set -e
rootfs=0 privileges=0
# round COMMAND...: runs COMMAND ten times; prints the nanoseconds taken.
round() {
	local start end
	start=\$(date +%s%N)
	for _ in 1 2 3 4 5 6 7 8 9 10; do "\$@" >/dev/null; done
	end=\$(date +%s%N)
	echo \$((end - start))
}
for _ in \$(seq $rounds); do
	rootfs=\$((rootfs + \$(round build/bin/rootfs true)))
	privileges=\$((privileges + \$(round build/bin/privileges true)))
done
echo "\$rootfs \$privileges"
EOF2
)
read -r rootfs privileges <<<"$out"
n=$((rounds * 10))
printf 'build/bin/rootfs true:     %d.%03d ms a run\n' \
	$((rootfs / n / 1000000)) $((rootfs / n / 1000 % 1000))
printf 'build/bin/privileges true: %d.%03d ms a run, %d.%02dx (goal: at most 1.5x)\n' \
	$((privileges / n / 1000000)) $((privileges / n / 1000 % 1000)) \
	$((privileges / rootfs)) $((privileges * 100 / rootfs % 100))
echo "($n runs of each, in rounds of ten, in the book's sandbox)"
