#!/usr/bin/env bash
# vm-bounds.sh: what the test VM promises, checked from the host, as `make
# test-vm` runs it.
#
#     usage: tests/safety/vm-bounds.sh
#
# 1. make vm CMD='...' runs CMD in the guest and brings its output back: a
#    6.1 kernel, and cgroup v2 offering the memory, pids and cpu
#    controllers; a quote in CMD arrives as written; CMD's status is the
#    one make names (make itself ends with 2, as whenever a recipe fails).
# 2. tools/vm.sh, which make vm runs, exits with the command's status.
# 3. qemu missing from PATH: one line naming the package, status 1, at once.
# 4. A damaged piece (the initramfs changed since it was made): one line,
#    status 1, before any boot.
# 5. An initramfs the kernel cannot unpack, its checksums made to agree: one
#    line saying so, status 1, within the time limit.
# After each, no qemu is left running.  Each case boots from a copy of the
# pieces (VM_DIR, as for make vm: build/vm), removed after.
# Prints "vm-bounds: N passed, M failed" last; exit 0 only if M is 0.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd -P)
cd "$root"
vm=${VM_DIR:-build/vm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck source=tests/harness/expect.sh
. "$root/tests/harness/expect.sh"

# run NAME LIMIT COMMAND...: runs COMMAND with stdout and stderr in
# tmp/NAME.out and .err, its status in rc and its seconds in took; it is
# killed after LIMIT seconds (status 124).
run() {
	local name=$1 limit=$2 start=$SECONDS
	shift 2
	rc=0
	timeout -k 5 "$limit" "$@" </dev/null >"$tmp/$name.out" 2>"$tmp/$name.err" || rc=$?
	took=$((SECONDS - start))
}

# lines NAME: the lines vm.sh wrote to stderr, but for the one that says
# how the VM runs ("vm: Linux ... under TCG ...").
lines() {
	grep -v '^vm: Linux .* under ' "$tmp/$1.err" || true
}

# no_qemu DIR: true if no qemu runs from the pieces in DIR.
no_qemu() {
	! pgrep -f "qemu-system-x86_64 .*$(cd "$1" && pwd -P)/boot" >/dev/null
}

# copy_pieces NAME: a copy of the VM's folder, with its pieces and the
# accelerator's answer, for a case that damages them.
copy_pieces() {
	local copy="$vm/bounds-$1"
	rm -rf "$copy"
	mkdir -p "$copy"
	cp -a "$vm/boot" "$copy/"
	[ ! -f "$vm/accel" ] || cp "$vm/accel" "$copy/"
	echo "$copy"
}

echo "== make vm CMD=...: the kernel, cgroup v2, the output, the status"
# From a copy of the pieces, so that a qemu left behind is told from those
# of other VMs (make test-vm runs this beside them).
copy=$(copy_pieces ok)
run cmd 300 make --no-print-directory vm VM_DIR="$copy" \
	CMD="cat /sys/fs/cgroup/cgroup.controllers; uname -r; echo \"it's here\"; exit 7"
controllers=$(head -n 1 "$tmp/cmd.out")
for c in memory pids cpu; do
	expect "the guest's cgroup v2 offers $c (offers: $controllers)" \
		grep -qw "$c" <<<"$controllers"
done
kernel=$(sed -n 2p "$tmp/cmd.out")
expect "the guest runs Linux 6.1 (runs $kernel)" grep -q '^6\.1\.' <<<"$kernel"
expect "a quote in CMD arrives as written (got: $(sed -n 3p "$tmp/cmd.out"))" \
	test "$(sed -n 3p "$tmp/cmd.out")" = "it's here"
expect "make names the command's status 7 (make: $(tail -n 1 "$tmp/cmd.err"))" \
	grep -qE '^make(\[[0-9]+\])?: \*\*\* .*Error 7$' "$tmp/cmd.err"
expect "no qemu is left" no_qemu "$copy"

echo "== tools/vm.sh COMMAND: exits with the command's status"
run status 300 env VM_DIR="$copy" tools/vm.sh sh -c 'exit 7'
expect "tools/vm.sh sh -c 'exit 7' exits 7 (got $rc)" test "$rc" = 7
expect "no qemu is left" no_qemu "$copy"
rm -rf "$copy"

echo "== qemu missing: one line naming the package"
# A PATH of everything but qemu.
mkdir "$tmp/path"
for dir in /usr/local/bin /usr/bin /bin /usr/sbin /sbin; do
	for file in "$dir"/*; do
		case ${file##*/} in qemu-*) continue ;; esac
		[ -e "$tmp/path/${file##*/}" ] || ln -s "$file" "$tmp/path/"
	done
done
run noqemu 30 env PATH="$tmp/path" VM_DIR="$vm" tools/vm.sh true
expect "status 1 (got $rc)" test "$rc" = 1
expect "one line naming qemu-system-x86 (got: $(lines noqemu))" \
	test "$(lines noqemu | wc -l) $(lines noqemu | grep -c 'install.*qemu-system-x86')" = "1 1"
expect "at once ($took s)" test "$took" -le 5

echo "== a damaged piece: one line, before any boot"
copy=$(copy_pieces damaged)
echo damage >>"$copy/boot/initramfs.img"
run damaged 60 env VM_DIR="$copy" tools/vm.sh true
expect "status 1 (got $rc)" test "$rc" = 1
expect "one line naming the damaged piece (got: $(lines damaged))" \
	test "$(lines damaged | wc -l) $(lines damaged | grep -c 'initramfs.img.*damaged\|damaged.*initramfs.img')" = "1 1"
expect "before any boot ($took s)" test "$took" -le 5
rm -rf "$copy"

echo "== an initramfs the kernel cannot unpack: one line, within the limit"
copy=$(copy_pieces corrupt)
size=$(stat -c %s "$copy/boot/initramfs.img")
# 4 KiB of zeros in the middle of the gzip stream.
dd if=/dev/zero of="$copy/boot/initramfs.img" bs=4096 count=1 seek=$((size / 8192)) conv=notrunc status=none
(cd "$copy/boot" && sha256sum vmlinux initramfs.img >SHA256SUMS)
run corrupt 200 env VM_DIR="$copy" VM_TIMEOUT=120 tools/vm.sh true
expect "status 1 (got $rc)" test "$rc" = 1
expect "one line saying the initramfs could not be unpacked (got: $(lines corrupt))" \
	test "$(lines corrupt | wc -l) $(lines corrupt | grep -c 'could not unpack .*initramfs.img')" = "1 1"
expect "within the time limit of 120 s ($took s)" test "$took" -lt 120
expect "no qemu is left" no_qemu "$copy"
rm -rf "$copy"

echo "vm-bounds: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
