#!/bin/sh
# shellcheck shell=sh
# vm-init.sh: the first process of the test VM (tools/vm.sh), in two stages.
# Runs under busybox sh, in the initramfs and after it, so it keeps to POSIX sh.
#
# Stage 1, /init in the initramfs (tools/vm-build.sh packs this file there):
# loads the modules, mounts the host's / (9p, read-only) and the workbook
# (9p, read-write) where the host has them, then switch_root into it.
# Stage 2, PID 1 in the host's files: mounts what a machine has (cgroup2
# alone, /dev/pts, /dev/shm, /dev/mqueue, tmpfs where the guest must write),
# runs the command, sends its status to the host, and powers off.
#
# The host says what to run in a file passed with qemu's -fw_cfg, a few
# shell assignments (tools/vm.sh writes them, quoted): scale (how many times
# slower than natively the tests run), work (the workbook's
# path), vmdir (the VM's folder, when it is outside the workbook), build
# (where the guest's make builds), cmd (the command; empty for a shell), term,
# rows, cols, probe (power off at once: the accelerator's probe), timeout
# (for the greeting).
#
# Every failure prints one line starting with "vm-init:" on the console and
# powers off; tools/vm.sh finds that line and reports it.

busybox=/bin/busybox
# What the host's config sets (these are the defaults).
scale="" work=/ vmdir="" build="" cmd="" term="" rows="" cols="" probe="" timeout=""
config=/sys/firmware/qemu_fw_cfg/by_name/opt/workbook/config/raw

# fail MESSAGE: says what went wrong, on the console, and powers off.
fail() {
	echo "vm-init: $*" >/dev/console
	off
}

# off: flushes what was written to the shares and powers the VM off (qemu
# runs with -no-reboot, so a reboot ends it too).
off() {
	$busybox sync
	$busybox poweroff -f
	$busybox reboot -f
}

# port NAME: prints the device of the virtio serial port the host named NAME.
port() {
	for p in /sys/class/virtio-ports/*; do
		[ "$($busybox cat "$p/name" 2>/dev/null)" = "$1" ] && echo "/dev/${p##*/}" && return 0
	done
	return 1
}

# share TAG PATH OPTIONS: mounts the host's 9p export TAG read-write at
# PATH in the new root, with more mount OPTIONS (",name=value...").
share() {
	$busybox mkdir -p "$root$2" 2>/dev/null
	$busybox mount -t 9p -o "trans=virtio,version=9p2000.L,msize=512000$3" "$1" "$root$2" ||
		fail "could not mount $2 (9p tag $1)"
}

stage1() {
	$busybox mount -t devtmpfs dev /dev
	# The kernel found no /dev/console in the initramfs (packing a device
	# node needs root), so the standard streams are opened here.
	exec </dev/console >/dev/console 2>&1
	$busybox mount -t proc proc /proc
	$busybox mount -t sysfs sys /sys
	# The modules tools/vm-build.sh packed, named in /modules; modprobe
	# loads what each depends on first (modules.dep).
	modules=$($busybox cat /modules)
	# shellcheck disable=SC2086 # a list of names
	$busybox modprobe -a $modules || fail "could not load the modules: $modules"
	[ -r "$config" ] || fail "no configuration from the host ($config)"
	# shellcheck disable=SC1090 # written by tools/vm.sh
	. "$config"
	if [ -n "${probe:-}" ]; then
		echo "vm-init: probe booted"
		off
	fi

	root=/newroot
	$busybox mkdir -p $root
	# cache=loose: the host's files do not change under a test run, and
	# without a cache every exec and every header read is a round trip.
	$busybox mount -t 9p -o ro,trans=virtio,version=9p2000.L,msize=512000,cache=loose host $root ||
		fail "could not mount the host's / (9p tag host)"
	# Writable places of a machine's own: the host's stay as they are.
	for dir in /tmp /run /var/tmp /root; do
		$busybox mount -t tmpfs -o mode=1777 tmpfs "$root$dir" || fail "could not mount a tmpfs on $dir"
	done
	$busybox chmod 0755 "$root/run" "$root/root"
	# The workbook at the path the host has it, so the command runs in the
	# same tree, uncached: what either side writes, the other sees at once.
	# Then the VM's folder, when it is outside the workbook (tag vmdir);
	# then the guest's build folder (tag build), cached: only the guest
	# writes there while it runs, and it holds the programs every test
	# copies into its sandbox, read a few hundred times a run.
	share work "$work" ""
	[ -z "${vmdir:-}" ] || share vmdir "$vmdir" ""
	share build "$build" ,cache=loose
	# What stage 2 needs that the host may not have: busybox, this file and
	# the config, in the guest's own /run.
	$busybox mkdir -p "$root/run/vm"
	$busybox cp $busybox /init "$root/run/vm/"
	$busybox cp "$config" "$root/run/vm/config"
	for dir in /dev /proc /sys; do
		$busybox mount --move "$dir" "$root$dir" || fail "could not move $dir into the new root"
	done
	# switch_root, not chroot: a chrooted process may not create a user
	# namespace (unshare(CLONE_NEWUSER) fails with EPERM), and bubblewrap,
	# which every test runs in, starts with one.
	exec $busybox switch_root $root /run/vm/busybox sh /run/vm/init stage2
}

stage2() {
	busybox=/run/vm/busybox
	# shellcheck disable=SC1091 # written by tools/vm.sh
	. /run/vm/config
	# cgroup v2 alone, with the options systemd mounts it with on a
	# student's machine; the kernel was booted with cgroup_no_v1=all.
	$busybox mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 /sys/fs/cgroup ||
		fail "could not mount cgroup2 on /sys/fs/cgroup"
	$busybox mkdir -p /dev/pts /dev/shm /dev/mqueue
	$busybox mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts /dev/pts
	$busybox ln -sf pts/ptmx /dev/ptmx
	$busybox mount -t tmpfs -o mode=1777 tmpfs /dev/shm
	$busybox mount -t mqueue mqueue /dev/mqueue
	$busybox ln -sf /proc/self/fd /dev/fd
	$busybox hostname vm
	$busybox ip link set lo up
	# The kernel's own module loader would run /sbin/modprobe, which the
	# host may not have and whose modules are not this kernel's anyway.
	echo /run/vm/no-modprobe >/proc/sys/kernel/modprobe

	cd "$work" || fail "no workbook at $work"
	export HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	# The Makefile builds into WORKBOOK_VM_BUILD: the guest's build stays
	# apart from the host's.
	export LANG=C.UTF-8 WORKBOOK_VM=1 WORKBOOK_VM_BUILD="$build"
	# How much slower than natively the tests run here (tools/vm.sh).
	export WORKBOOK_TIME_SCALE="${scale:-1}"
	shell=/bin/bash
	[ -x "$shell" ] || shell=/bin/sh
	status=$(port status) || fail "the host's port status is missing"
	rc=0
	if [ -n "${cmd:-}" ]; then
		if ! out=$(port out) || ! err=$(port err); then
			fail "the host's ports out and err are missing"
		fi
		$shell -c "$cmd" </dev/null >"$out" 2>"$err" || rc=$?
	else
		export TERM="${term:-vt100}"
		$busybox stty -F /dev/console rows "${rows:-24}" cols "${cols:-80}" 2>/dev/null
		echo "The test VM: $(uname -sr), cgroup v2 at /sys/fs/cgroup, the host's files read-only and $work read-write."
		echo "exit (or Ctrl-D) powers it off; Ctrl-A X kills it; it stops by itself after ${timeout:-?} s."
		# A session of its own with the console as controlling terminal,
		# so that Ctrl-C and job control work in the shell.
		$busybox setsid -c $shell -i </dev/console >/dev/console 2>&1 || rc=$?
	fi
	echo "$rc" >"$status"
	off
}

case "${1:-stage1}" in
stage2) stage2 ;;
*) stage1 ;;
esac
fail "unknown stage ${1:-}"
