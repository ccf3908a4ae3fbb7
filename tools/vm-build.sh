#!/usr/bin/env bash
# vm-build.sh: make the test VM's boot pieces (tools/vm.sh calls it when they
# are missing or were made from other inputs).
#
#     usage: tools/vm-build.sh VM_DIR | --inputs
#
# Into VM_DIR/boot, a folder that can be carried to another machine and
# booted there as it is:
#   vmlinux        Debian's newest 6.1 kernel for amd64, from the archive
#                  this machine's apt uses (apt-get download, dpkg-deb -x;
#                  nothing is installed, /boot is not touched), taken out of
#                  its compressed vmlinuz: qemu boots the ELF file directly
#                  (PVH), which saves decompressing it under emulation
#                  (about 4 s under TCG);
#   modules/       the modules the guest loads, with their dependencies and
#                  a modules.dep (busybox depmod -b);
#   initramfs.img  busybox-static, tools/vm-init.sh as /init, and modules/,
#                  packed with cpio -H newc;
#   VERSIONS       the packages they came from, printed once here too;
#   INPUTS         a checksum of the scripts that made them (tools/vm.sh
#                  rebuilds when it changes);
#   SHA256SUMS     checked before every boot.
# The kernel package is kept in VM_DIR/deb, so that a new initramfs is made
# without downloading it again.  Needs apt-get, dpkg-deb, xz and busybox-static;
# tools/vm.sh installs what is missing, or says how.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
busybox=/bin/busybox

# The modules the guest loads (vm-init.sh loads them all in the initramfs):
# virtio and 9p to reach the host's files, virtio_console for the command's
# output, qemu_fw_cfg for what the host passes, then what the chapters use.
modules="virtio_pci 9pnet_virtio 9p virtio_console qemu_fw_cfg veth bridge overlay tun"

# say MESSAGE: one line of progress, on stderr.
say() { echo "vm: $*" >&2; }

# die MESSAGE: one line saying what failed, and exit 1.
die() {
	echo "vm: $*" >&2
	exit 1
}

# inputs: a checksum of what the pieces are made from.
inputs() {
	{
		cat "$here/vm-build.sh" "$here/vm-init.sh"
		echo "$modules"
	} | sha256sum | cut -d' ' -f1
}

# newest_kernel: prints the name of the newest linux-image-6.1.0-N-amd64
# that apt knows of.
newest_kernel() {
	apt-cache search --names-only '^linux-image-6\.1\.0-[0-9]+-amd64$' |
		awk '{ print $1 }' | sort -V | tail -n 1
}

# download: fetches the newest 6.1 kernel package into $vm/deb.
download() {
	local pkg tmp apt_opts=()
	pkg=$(newest_kernel)
	if [ -z "$pkg" ] && [ "$(id -u)" -eq 0 ]; then
		say "apt knows no 6.1 kernel: apt-get update"
		apt-get update -q >/dev/null || die "apt-get update failed"
		pkg=$(newest_kernel)
	fi
	[ -n "$pkg" ] || die "apt knows no linux-image-6.1.0-N-amd64 package: run sudo apt-get update, or add Debian 12's archive to the apt sources"
	# As root, apt would hand the download to its sandbox user, who may not
	# write here.
	[ "$(id -u)" -ne 0 ] || apt_opts=(-o APT::Sandbox::User=root)
	tmp=$(mktemp -d "$vm/deb.XXXXXX")
	chmod 0755 "$tmp"
	say "downloading $pkg"
	(cd "$tmp" && apt-get download -q "${apt_opts[@]}" "$pkg" >/dev/null) ||
		{ rm -rf "$tmp"; die "apt-get download $pkg failed"; }
	rm -rf "$vm/deb"
	mv "$tmp" "$vm/deb"
}

# find_deb: prints the path of the kernel package downloaded before, if any.
find_deb() {
	[ ! -d "$vm/deb" ] || find "$vm/deb" -name 'linux-image-*.deb' | head -n 1
}

# extract DEB: takes vmlinuz and the modules the guest needs out of the package.
extract() {
	local deb=$1 tmp ver dir
	tmp=$(mktemp -d "$vm/extract.XXXXXX")
	# shellcheck disable=SC2064 # the folder is known now
	trap "rm -rf '$tmp'" EXIT
	dpkg-deb -x "$deb" "$tmp" || die "dpkg-deb -x $deb failed"
	ver=$(cd "$tmp/lib/modules" && ls)
	[ -f "$tmp/boot/vmlinuz-$ver" ] || die "no boot/vmlinuz-$ver in $deb"
	# The package's postinst would run depmod; without one, modules.dep
	# says which modules each needs.
	$busybox depmod -b "$tmp" "$ver" || die "depmod failed on $deb"
	dir="$tmp/lib/modules/$ver"
	rm -rf "$boot/modules" "$boot/vmlinux"
	mkdir -p "$boot/modules/lib/modules/$ver"
	# Each wanted module and every module it depends on, as listed in
	# modules.dep ("path: dependency-path ...").
	awk -v want="$modules" '
		BEGIN { n = split(want, w, " "); for (i = 1; i <= n; i++) wanted[w[i]] = 1 }
		{ name = $1; sub(/:$/, "", name); sub(/.*\//, "", name); sub(/\.ko.*$/, "", name); gsub(/-/, "_", name) }
		(name in wanted) { sub(/:$/, "", $1); for (i = 1; i <= NF; i++) print $i; found[name] = 1 }
		END { for (m in wanted) if (!found[m]) { print "missing " m > "/dev/stderr"; exit 1 } }' \
		"$dir/modules.dep" | sort -u >"$tmp/closure" || die "the 6.1 kernel lacks a module the guest needs"
	echo modules.order modules.builtin | tr ' ' '\n' >>"$tmp/closure"
	(cd "$dir" && xargs -a "$tmp/closure" cp --parents -t "$boot/modules/lib/modules/$ver/")
	$busybox depmod -b "$boot/modules" "$ver" || die "depmod failed on $boot/modules"
	unpack "$tmp/boot/vmlinuz-$ver" "$boot/vmlinux"
	echo "$modules" >"$boot/modules/LIST"
	dpkg-deb -f "$deb" Package Version | awk '{ printf "%s%s", sep, $2; sep = " " } END { print "" }' \
		>"$boot/modules/KERNEL"
	rm -rf "$tmp"
	trap - EXIT
}

# unpack VMLINUZ VMLINUX: writes the ELF kernel that the bzImage VMLINUZ
# carries, compressed with xz (Debian's CONFIG_KERNEL_XZ; busybox's unxz
# lacks the x86 filter the kernel is packed with, hence xz-utils).  The
# setup header says where: the payload starts payload_offset (a 32-bit
# number at byte 0x248) bytes after the setup sectors ((byte 0x1f1 + 1) *
# 512), is payload_length (0x24c) bytes long, and its last 4 bytes are the
# size of what it unpacks to.  xz complains of what follows its stream, so
# the size, and the ELF magic, are what say it worked.
unpack() {
	local in=$1 out=$2 sects offset length size
	le32() { od -An -tu4 -j "$1" -N 4 "$in" | tr -d ' '; }
	sects=$(od -An -tu1 -j $((0x1f1)) -N 1 "$in" | tr -d ' ')
	offset=$(((sects + 1) * 512 + $(le32 $((0x248)))))
	length=$(le32 $((0x24c)))
	size=$(le32 $((offset + length - 4)))
	tail -c +$((offset + 1)) "$in" | xz -dc >"$out" 2>/dev/null || true
	if [ "$(stat -c %s "$out")" != "$size" ] || [ "$(head -c 4 "$out" | od -An -c | tr -d ' ')" != '177ELF' ]; then
		die "could not unpack the ELF kernel from $in (is it packed with xz?)"
	fi
}

# pack: makes initramfs.img from busybox, vm-init.sh and the modules.
pack() {
	local tmp applet
	tmp=$(mktemp -d "$vm/initramfs.XXXXXX")
	# shellcheck disable=SC2064 # the folder is known now
	trap "rm -rf '$tmp'" EXIT
	mkdir -p "$tmp/bin" "$tmp/dev" "$tmp/proc" "$tmp/sys" "$tmp/newroot"
	cp "$busybox" "$tmp/bin/busybox"
	for applet in $($busybox --list); do
		[ "$applet" = busybox ] || ln -s busybox "$tmp/bin/$applet"
	done
	ln -s bin "$tmp/sbin"
	cp "$here/vm-init.sh" "$tmp/init"
	chmod 0755 "$tmp/init"
	cp -a "$boot/modules/lib" "$tmp/"
	cp "$boot/modules/LIST" "$tmp/modules"
	# Owned by root in the guest, whoever made it.
	(cd "$tmp" && find . -mindepth 1 | LC_ALL=C sort | $busybox cpio -o -H newc -R 0:0 2>/dev/null) |
		gzip -1 >"$boot/initramfs.img.new"
	mv "$boot/initramfs.img.new" "$boot/initramfs.img"
	rm -rf "$tmp"
	trap - EXIT
}

# --inputs: prints the checksum that INPUTS holds when the pieces are current.
if [ "${1:-}" = --inputs ]; then
	inputs
	exit 0
fi
vm=${1:?usage: tools/vm-build.sh VM_DIR}
mkdir -p "$vm"
vm=$(cd "$vm" && pwd)
boot="$vm/boot"
[ -x "$busybox" ] || die "no $busybox: install busybox-static (sudo apt-get install busybox-static)"
mkdir -p "$boot"
if [ ! -f "$boot/vmlinux" ] || [ "$(cat "$boot/modules/LIST" 2>/dev/null)" != "$modules" ]; then
	deb=$(find_deb)
	if [ -z "$deb" ]; then
		download
		deb=$(find_deb)
	fi
	extract "$deb"
fi
pack
{
	echo "kernel $(cat "$boot/modules/KERNEL")"
	echo "busybox-static $(dpkg-query -W -f='${Version}' busybox-static 2>/dev/null || echo unknown)"
} >"$boot/VERSIONS"
inputs >"$boot/INPUTS"
(cd "$boot" && sha256sum vmlinux initramfs.img >SHA256SUMS)
say "made $boot from: $(paste -sd ';' "$boot/VERSIONS" | sed 's/;/, /g')"
