#!/usr/bin/env bash
# host-state.sh: print what the workbook promises never to change on the
# machine it runs on, in a form two runs can be diffed by.
#
#     tools/host-state.sh > before; make test; tools/host-state.sh | diff before -
#
# Hostname and NIS domain name, the mount table, the network interfaces, the
# System V IPC objects, every cgroup folder (in every hierarchy; the
# workbook's are named workbook*), and any process the workbook could have
# left behind: its programs, its sandboxes, the test VM's qemu, or anything
# running as a sandbox's spare uid.
#
# With --without-podman it leaves out what podman makes once, on its first
# container, and keeps for all the others: its parent cgroups (libpod_parent
# and libpod_parent/conmon, with the cgroupfs manager), its bridge, and the
# mount of /run/netns, where it keeps the network namespaces it makes.  The
# lab and make test-podman start podman; what they promise is that nothing
# of the workbook's, and no container of theirs, is left.
set -euo pipefail

if [ "${1:-}" = --without-podman ]; then
	"$0" | grep -Ev '^(cgroup /sys/fs/cgroup/[^/]+/libpod_parent(/conmon)?|link (cni-)?podman[0-9]+ .*|mount /run/netns .*)$'
	exit
fi
[ $# -eq 0 ] || { echo "usage: tools/host-state.sh [--without-podman]" >&2; exit 2; }

echo "hostname $(hostname)"
echo "domainname $(cat /proc/sys/kernel/domainname)"
findmnt --raw --noheadings --output TARGET,FSTYPE,PROPAGATION | sort | sed 's/^/mount /'
ip -brief link | awk '{print "link", $1, $2}' | sort
ipcs -q | awk '/^0x/ {print "msq", $1}' | sort
ipcs -m | awk '/^0x/ {print "shm", $1}' | sort
ipcs -s | awk '/^0x/ {print "sem", $1}' | sort
# Folders only: a cgroup's files come and go with its controllers.  One
# removed while find walks the tree (another run's) makes find fail: what it
# listed stands.
{ find /sys/fs/cgroup -mindepth 1 -type d 2>/dev/null || true; } | sort | sed 's/^/cgroup /'
ps -e --no-headers -o uid=,comm= |
	awk '$1 >= 200000 && $1 < 300000 || $2 ~ /^(bwrap|observer|probe|test-.*|skeleton|net|mount|uts|ipc|pid|user|rootfs|cgroup|cgbox|escape|network|runtime|mutant-.*|qemu-system-.*)$/ {print "leftover", $0}' |
	sort
