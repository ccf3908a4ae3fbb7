#!/usr/bin/env bash
# sandbox.sh: a throwaway lab machine for the book's transcripts.
#
#     usage: book/sandbox.sh < SCRIPT
#
# Runs the bash SCRIPT read from standard input as root of a bubblewrap
# sandbox, never on the real machine: new user, pid, net, uts, ipc and mount
# namespaces; the real root is an unprivileged uid outside (a spare uid when
# we are the machine's root, our own otherwise); /usr and /etc read-only, fresh /proc, /dev,
# /sys and /tmp (the real /sys is bound in first only because the kernel
# mounts a new sysfs only where one is already in full view).  The worked programs are copied in at /workbook/build/bin,
# the image and its tarball at /workbook/build/image (from the tarball), and
# the escape of the tests at /workbook/build/tests/escape, and the script
# starts in /workbook, so `build/bin/net ip a` works as in a clone of the
# workbook (chapters/11-runtime/config.json too).  Before the script, the sandbox is made to look like
# a small host: hostname "lab", an interface pair eth0/veth0 with an address,
# and "/" shared, the way systemd boots a machine.  Where the machine gives
# one (build/tests/cgbox, tests/harness/cgbox.h), the sandbox has a cgroup of
# its own, mounted under /sys/fs/cgroup as the machine lays it out, and the
# script runs in a leaf of it, "lab", with every other process of the
# sandbox, as a login shell does in a leaf of systemd's tree; elsewhere
# /sys/fs/cgroup is empty.
#
# Exit status: the script's; 125 when the sandbox could not be set up.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
bin="$top/build/bin"
programs=(skeleton net mount uts ipc pid user rootfs cgroup network privileges runtime)

args=(bwrap --unshare-user --uid 0 --gid 0 --unshare-pid --unshare-net
	--unshare-uts --unshare-ipc --unshare-cgroup-try --hostname lab
	--die-with-parent --new-session --cap-add ALL --clearenv
	--setenv PATH /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	--setenv HOME /root --setenv LC_ALL C --setenv TERM dumb
	--ro-bind /usr /usr --ro-bind /etc /etc
	--proc /proc --dev /dev --tmpfs /tmp --tmpfs /run --ro-bind /sys /sys --dir /root)

# /bin, /lib and their kin: a symlink into /usr (merged /usr) or a bind.
# Not /lib32 or /libx32, which some machines have and the lab does not: no
# program here needs them, and the sandbox looks the same everywhere.
for top_dir in /bin /sbin /lib /lib64; do
	if [ -L "$top_dir" ]; then
		args+=(--symlink "$(readlink "$top_dir")" "$top_dir")
	elif [ -d "$top_dir" ]; then
		args+=(--ro-bind "$top_dir" "$top_dir")
	fi
done

# The programs go in by descriptor: the spare uid may not be able to read
# the workbook where it lives.
args+=(--dir /workbook/build/bin --chdir /workbook)
for name in "${programs[@]}"; do
	src="$bin/$name"
	# SANDBOX_RUNTIME: another runtime in its place (tests/chapters/runtime.sh).
	[ "$name" != runtime ] || src=${SANDBOX_RUNTIME:-$src}
	if [ ! -x "$src" ]; then
		echo "sandbox: no $src: run \`make\` first" >&2
		exit 125
	fi
	exec {fd}<"$src"
	args+=(--perms 0755 --file "$fd" "/workbook/build/bin/$name")
done
# Chapter 11's example bundle configuration, where its page copies it from.
exec {fd}<"$top/chapters/11-runtime/config.json"
args+=(--dir /workbook/chapters/11-runtime --file "$fd" /workbook/chapters/11-runtime/config.json)
# The image goes in as its tarball, unpacked by the set-up below.
for file in image/busybox.tar tests/escape; do
	if [ ! -f "$top/build/$file" ]; then
		echo "sandbox: no $top/build/$file: run \`make\` first" >&2
		exit 125
	fi
	exec {fd}<"$top/build/$file"
	args+=(--dir "/workbook/build/$(dirname "$file")" --perms 0755 --file "$fd" "/workbook/build/$file")
done

# shellcheck disable=SC2016 # expanded by the sandbox's bash, not here
setup='
fail() { echo "sandbox: $*" >&2; exit 125; }
# Every sandbox of the book starts with this: one ip for the interfaces,
# the shell itself to read cgroup.procs, as few programs as it can.
printf "%s\n" "link set lo up" "link add veth0 type veth peer name eth0" \
	"addr add 10.0.2.15/24 dev eth0" "link set eth0 up" "link set veth0 up" |
	ip -batch - || fail "ip: the interfaces lo, eth0 and veth0"
mount -t sysfs sysfs /sys || fail "mount sysfs"
mount --make-rshared / || fail "mount --make-rshared /"
for spec in $cgroups; do
	IFS=: read -r name type opts <<<"$spec"
	dir=/sys/fs/cgroup/$name
	if [ "$name" != . ]; then
		# v1 and hybrid, as systemd lays them out: a tmpfs, a folder each.
		[ -n "${tmpfs:-}" ] ||
			mount -t tmpfs -o mode=755,size=64k cgroup /sys/fs/cgroup ||
			fail "mount tmpfs on /sys/fs/cgroup"
		tmpfs=1
		mkdir "$dir" || fail "mkdir $dir"
	fi
	mount -t "$type" ${opts:+-o "$opts"} cgroup "$dir" || fail "mount $spec"
	# Every process into the leaf, the init of bubblewrap too: on v2 a folder
	# that holds one cannot share out controllers.
	mkdir "$dir/lab" || fail "mkdir $dir/lab"
	# All of them first: the list changes as they move.
	mapfile -t pids <"$dir/cgroup.procs"
	for pid in "${pids[@]}"; do
		echo "$pid" 2>/dev/null >"$dir/lab/cgroup.procs" || [ ! -d "/proc/$pid" ] ||
			fail "move $pid into $dir/lab"
	done
done
unset spec name type opts dir tmpfs pid pids cgroups
mkdir build/image/busybox && tar -C build/image/busybox -xf build/image/busybox.tar ||
	fail "tar -x build/image/busybox.tar"
'

# bubblewrap reads its options from a descriptor and bash its commands from
# standard input (the set-up, then the script), so that `ps` in the sandbox
# shows "bwrap --args N" and "bash", not this whole command line.
exec {argfd}< <(printf '%s\0' "${args[@]:1}")
run=(bwrap --args "$argfd" bash)
# The sandbox's cgroup: cgbox makes it, starts bubblewrap in it, and removes
# it after; the set-up mounts its hierarchies, as cgbox --layout lists them.
cgbox="$top/build/tests/cgbox"
cgroups=
if [ -x "$cgbox" ] && layout=$("$cgbox" --layout 2>/dev/null); then
	cgroups=$(sed 1d <<<"$layout" | tr '\n' ' ')
	run=("$cgbox" -- "${run[@]}")
fi
# Root of the machine (uid 0 in the initial user namespace, whose uid_map
# maps every uid to itself) would make the sandbox's root real root: drop to
# a spare uid first.  Root of any other user namespace is a plain user outside.
if [ "$(id -u)" -eq 0 ] && [ "$(awk '{ print $1, $2, $3 }' /proc/self/uid_map 2>/dev/null ||
	echo 0 0 4294967295)" = "0 0 4294967295" ]; then
	spare=$((300000 + $$ % 100000))
	# Its group as its one supplementary group, the way a plain user has
	# their own: mapped to gid 0 inside, `id` shows groups=0(root) either way.
	# (cgbox --uid does the same.)
	if [ -n "$cgroups" ]; then
		run=("$cgbox" --uid "$spare" "${run[@]:1}")
	else
		run=(setpriv "--reuid=$spare" "--regid=$spare" "--groups=$spare" -- "${run[@]}")
	fi
fi
exec "${run[@]}" < <(printf 'cgroups=%q\n%s\n' "$cgroups" "$setup"; cat)
