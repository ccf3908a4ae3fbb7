#!/usr/bin/env bash
# vm.sh: the test VM behind `make vm` and `make test-vm`.
#
#     usage: tools/vm.sh [COMMAND [ARG...]]
#
# Boots Debian's 6.1 kernel under qemu with this machine's / shared
# read-only and the workbook read-write at the same path, and runs COMMAND
# there as root, from the workbook's root, with bash; without COMMAND, a
# shell on the console.  COMMAND's output comes back as it is written, its
# standard output on ours and its standard error on ours; stdin is empty.
# Exits with COMMAND's status (the shell's), or 1 with one line saying what
# went wrong (qemu missing, a piece missing or damaged, a kernel panic, no
# answer in time), 2 for a bad setting, 130 when interrupted.
#
# Environment:
#   VM_TIMEOUT  seconds before the VM is stopped, whatever it does (600)
#   VM_MEMORY   the guest's memory, in MiB or with a M or G suffix (1G)
#   VM_CPUS     the guest's processors (1 under TCG, 2 under KVM: under TCG
#               a second one costs more than it gives, see below)
#   VM_ACCEL    kvm or tcg: skip the probe that picks one
#   VM_NAME     a name for this run, in the name of the console's log
#               (VM_DIR/console-NAME.log; VM_DIR/console.log without one)
#   VM_DIR      the folder of the VM's pieces (build/vm); its boot/ folder,
#               made by tools/vm-build.sh, can be carried to another machine
#
# The guest: cgroup v2 alone at /sys/fs/cgroup; the guest's own /tmp, /run,
# /var/tmp and /root (tmpfs); in the environment WORKBOOK_VM=1,
# WORKBOOK_VM_BUILD=VM_DIR/build, which the Makefile builds into, apart from
# the host's build/, and WORKBOOK_TIME_SCALE (10 under TCG, 1 under KVM).  The
# workbook is shared rather than copied so that what the guest writes is on
# the host at once, and nothing is lost when the VM is stopped.
# No qemu outlives this script: it is stopped on every way out, and dies
# with it (PR_SET_PDEATHSIG) if this script is killed.
# shellcheck disable=SC2054 # qemu's options are lists with commas
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd -P)
here="$root/tools"
vm=${VM_DIR:-$root/build/vm}
timeout=${VM_TIMEOUT:-600}
memory=${VM_MEMORY:-1G}
cpus=${VM_CPUS:-}
accel=${VM_ACCEL:-}
qemu="qemu-system-x86_64"
# What the VM needs beyond tools/packages.txt, which every student's `make`
# installs and which therefore leaves it out: a package and the file that
# says it is there (qemu may come from elsewhere, on PATH).
packages=("qemu-system-x86 $qemu" "busybox-static /bin/busybox" "xz-utils xz")

# die MESSAGE: one line saying what failed, and exit 1.
die() {
	echo "vm: $*" >&2
	exit 1
}

# usage MESSAGE: a bad setting: one line, and exit 2.
usage() {
	echo "vm: $*" >&2
	exit 2
}

# quote STRING: STRING in single quotes, for the guest's sh.
quote() {
	local q="'\\''"
	printf "'%s'" "${1//\'/$q}"
}

# opt STRING: STRING with its commas doubled, as qemu's options want.
opt() {
	printf '%s' "${1//,/,,}"
}

# install_missing: installs what the VM needs and lacks when root, or says
# the one command to run.
install_missing() {
	local missing=() pkg file
	for pkg in "${packages[@]}"; do
		file=${pkg#* }
		pkg=${pkg%% *}
		command -v "$file" >/dev/null && continue
		[ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] ||
			missing+=("$pkg")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
		die "the VM needs ${missing[*]}: install with: sudo apt-get install -y --no-install-recommends ${missing[*]}"
	fi
	echo "vm: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } ||
		die "apt-get install ${missing[*]} failed"
}

# pieces: makes the boot pieces when they are missing or were made by other
# versions of the scripts, then checks them against their checksums.
pieces() {
	local boot="$vm/boot" file lock
	# One maker at a time: make test-vm boots several VMs at once.
	exec {lock}>>"$vm/.lock"
	flock "$lock"
	for file in vmlinux initramfs.img SHA256SUMS INPUTS; do
		if [ ! -f "$boot/$file" ] ||
			{ [ -f "$here/vm-build.sh" ] && [ "$(cat "$boot/INPUTS")" != "$("$here/vm-build.sh" --inputs)" ]; }; then
			"$here/vm-build.sh" "$vm"
			break
		fi
	done
	exec {lock}>&-
	(cd "$boot" && sha256sum --check --quiet --status SHA256SUMS 2>/dev/null) ||
		die "$boot is damaged: $(cd "$boot" && sha256sum --check --quiet SHA256SUMS 2>&1 | head -n 1); remove $boot and run make vm again to remake it"
}

# run_qemu TIMEOUT MODE CONFIG... : boots the VM with the config lines given
# (see tools/vm-init.sh), MODE cmd (output on the ports) or shell (the
# console on this terminal), and waits TIMEOUT seconds at most.  Leaves the
# console in $run/console, the status in $run/status, qemu's own messages in
# $run/qemu; sets timed_out to yes if it had to stop qemu.
run_qemu() {
	local limit=$1 mode=$2 line machine=()
	shift 2
	timed_out=
	for line in "$@"; do echo "$line"; done >"$run/config"
	: >"$run/status"
	: >"$run/console"
	rm -f "$run/out" "$run/err"
	# The timer first, so that it holds none of the FIFOs below open.
	setpriv --pdeathsig KILL sleep "$limit" {stdin}<&- &
	timer_pid=$!
	case $accel in
	kvm) machine=(-accel kvm -cpu host) ;;
	*) machine=(-accel tcg,thread=multi -cpu qemu64) ;;
	esac
	# The kernel's console on the first serial port, quiet; a panic or an
	# oops ends the VM at once (panic=-1 reboots, which -no-reboot makes
	# qemu's exit); no cgroup v1, so that every controller is v2's; nothing
	# an emulated machine does not need (mitigations, keyboard probes, more
	# serial ports, clock checks, crypto self-tests).  norandmaps: TCG
	# reuses the code it translated only at the same addresses, and with
	# ASLR every process maps its libraries somewhere new (a compile took
	# about twice as long).
	local cmdline=(console=ttyS0 quiet loglevel=3 panic=-1 oops=panic cgroup_no_v1=all
		mitigations=off i8042.noaux i8042.nokbd 8250.nr_uarts=1 tsc=reliable
		no_timer_check cryptomgr.notests norandmaps)
	local args=(-nodefaults -no-user-config -no-reboot -display none
		-machine pc "${machine[@]}" -smp "${cpus:-1}" -m "$memory"
		-kernel "$vm/boot/vmlinux" -initrd "$vm/boot/initramfs.img"
		-append "${cmdline[*]}"
		-fw_cfg "name=opt/workbook/config,file=$(opt "$run/config")"
		-virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap"
		-virtfs "local,path=$(opt "$root"),mount_tag=work,security_model=none,multidevs=remap"
		-device virtio-serial-pci
		-chardev "file,id=status,path=$(opt "$run/status")"
		-device virtserialport,chardev=status,name=status)
	[ -z "$vmdir" ] || args+=(-virtfs "local,path=$(opt "$vmdir"),mount_tag=vmdir,security_model=none,multidevs=remap")
	args+=(-virtfs "local,path=$(opt "$vm/build"),mount_tag=build,security_model=none")
	if [ "$mode" = shell ]; then
		args+=(-chardev stdio,id=con,mux=on,signal=off -serial chardev:con -mon chardev=con)
	else
		# The command's output comes through two FIFOs, copied by cat to
		# our own stdout and stderr as the guest writes it: qemu could
		# reopen them through /proc/self/fd, but with a file offset of its
		# own, which clobbers the output when it is a file.  This script
		# holds each FIFO open until qemu is gone, so that the cats see
		# EOF only once everything is written.
		mkfifo "$run/out" "$run/err"
		exec {out_w}<>"$run/out" {err_w}<>"$run/err"
		setpriv --pdeathsig KILL cat <"$run/out" {out_w}>&- {err_w}>&- {stdin}<&- &
		copy_pids=$!
		setpriv --pdeathsig KILL cat <"$run/err" >&2 {out_w}>&- {err_w}>&- {stdin}<&- &
		copy_pids+=" $!"
		args+=(-chardev "file,id=con,path=$(opt "$run/console")" -serial chardev:con
			-chardev "file,id=out,path=$(opt "$run/out")"
			-device virtserialport,chardev=out,name=out
			-chardev "file,id=err,path=$(opt "$run/err")"
			-device virtserialport,chardev=err,name=err)
	fi
	# setpriv --pdeathsig: qemu dies with this script, even by SIGKILL (and
	# so do the cats and the timer).
	if [ "$mode" = shell ]; then
		setpriv --pdeathsig KILL "$qemu" "${args[@]}" <&"$stdin" 2>"$run/qemu" &
	else
		setpriv --pdeathsig KILL "$qemu" "${args[@]}" </dev/null >/dev/null 2>"$run/qemu" \
			{stdin}<&- {out_w}>&- {err_w}>&- &
	fi
	qemu_pid=$!
	wait -n "$qemu_pid" "$timer_pid" || true
	if kill -0 "$qemu_pid" 2>/dev/null; then
		timed_out=yes
		stop_qemu
		timer_pid=
		end_copies
		return 0
	fi
	wait "$qemu_pid" || true
	qemu_pid=
	kill "$timer_pid" 2>/dev/null || true
	timer_pid=
	end_copies
}

# end_copies: lets the cats that copy the command's output finish, now that
# qemu is gone, and waits for them.
end_copies() {
	[ -n "${out_w:-}" ] || return 0
	exec {out_w}>&- {err_w}>&-
	out_w=
	# shellcheck disable=SC2086 # a list of pids
	wait $copy_pids 2>/dev/null || true
	copy_pids=
}

# stop_qemu: ends qemu if it runs: SIGTERM, then SIGKILL after 2 s.
stop_qemu() {
	[ -n "${qemu_pid:-}" ] || return 0
	kill "$qemu_pid" 2>/dev/null || true
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$qemu_pid" 2>/dev/null || break
		sleep 0.2
	done
	kill -KILL "$qemu_pid" 2>/dev/null || true
	wait "$qemu_pid" 2>/dev/null || true
	qemu_pid=
}

# cleanup: on every way out: stops qemu and the timer, gives the terminal
# back as it was, keeps the last console, removes the run's folder.
# shellcheck disable=SC2317 # run by the EXIT trap
cleanup() {
	stop_qemu
	[ -z "${timer_pid:-}" ] || kill "$timer_pid" 2>/dev/null || true
	end_copies
	[ -z "${tty_state:-}" ] || stty "$tty_state" <&"$stdin" 2>/dev/null || true
	if [ -n "${run:-}" ] && [ -d "$run" ]; then
		mv -f "$run/console" "$console_log" 2>/dev/null || true
		rm -rf "$run"
	fi
}

# probe_kvm: prints kvm if a VM boots under KVM within 10 s, else tcg and
# why.  Nested KVM can accept a VM and then never run it, hence the bound.
probe_kvm() {
	if [ ! -e /dev/kvm ]; then
		echo "tcg no /dev/kvm"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		echo "tcg /dev/kvm is not open to $(id -un)"
	else
		accel=kvm
		run_qemu 10 cmd "probe=1"
		accel=
		if grep -q '^vm-init: probe booted' "$run/console"; then
			echo kvm
		elif [ -n "$timed_out" ]; then
			echo "tcg KVM did not boot a probe in 10 s"
		else
			echo "tcg KVM failed: $(sed -n "s/^$qemu: //; s/^error: //; /./{p;q}" "$run/qemu" | grep . || echo "a probe did not boot")"
		fi
	fi
}

# pick_accel: sets accel to kvm or tcg, and why, from VM_ACCEL, or from the
# probe's answer kept for as long as this machine stays up.
pick_accel() {
	local boot_id cache="$vm/accel" answer
	case $accel in
	kvm | tcg) why="VM_ACCEL=$accel"; return 0 ;;
	"") ;;
	*) usage "VM_ACCEL must be kvm or tcg, not $accel" ;;
	esac
	boot_id=$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || echo unknown)
	answer=$(sed -n "s/^$boot_id //p" "$cache" 2>/dev/null || true)
	if [ -z "$answer" ]; then
		answer=$(probe_kvm)
		echo "$boot_id $answer" >"$cache"
	fi
	accel=${answer%% *}
	why=${answer#"$accel"}
	why=${why# }
}

[ -z "${WORKBOOK_VM:-}" ] || die "already in the VM"
[[ $timeout =~ ^[1-9][0-9]*$ ]] || usage "VM_TIMEOUT must be a number of seconds, not '$timeout'"
[[ $memory =~ ^[1-9][0-9]*[MG]?$ ]] || usage "VM_MEMORY must be MiB, or end in M or G (like 1G), not '$memory'"
[[ ${VM_NAME:-} =~ ^[A-Za-z0-9._-]*$ ]] || usage "VM_NAME may hold letters, digits, '.', '_' and '-', not '${VM_NAME:-}'"
[[ $cpus =~ ^([1-9][0-9]*)?$ ]] || usage "VM_CPUS must be a number, not '$cpus'"

install_missing
command -v "$qemu" >/dev/null ||
	die "$qemu is not installed or not on PATH: install it with: sudo apt-get install -y --no-install-recommends qemu-system-x86"
mkdir -p "$vm"
vm=$(cd "$vm" && pwd -P)
console_log="$vm/console${VM_NAME:+-$VM_NAME}.log"
pieces
# The VM's folder is shared read-write on its own when it is outside the
# workbook: the guest builds into it.
vmdir=
case $vm/ in
"$root"/*) ;;
*) vmdir=$vm ;;
esac
mkdir -p "$vm/build"

qemu_pid=
timer_pid=
tty_state=
out_w=
copy_pids=
exec {stdin}<&0
run=$(mktemp -d "$vm/run.XXXXXX")
trap cleanup EXIT
trap 'echo "vm: interrupted" >&2; exit 130' INT TERM HUP

pick_accel
# Under TCG, every process switch flushes the emulated TLB and a second
# processor makes qemu stop both for each flush the guest sends across:
# measured here, the chapters' suites took 1.7 times the CPU time with two
# processors that they took with one, and longer on the clock.  Two VMs of
# one processor each (make test-vm runs its steps so) use two cores better.
if [ -z "$cpus" ]; then
	[ "$accel" = kvm ] && cpus=2 || cpus=1
fi
kernel=$(awk '$1 == "kernel" { print $2 }' "$vm/boot/VERSIONS" | sed 's/^linux-image-//')
echo "vm: Linux $kernel under ${accel^^}${why:+ ($why)}, $cpus CPU$([ "$cpus" = 1 ] || echo s), $memory of memory, at most $timeout s" >&2

# Under TCG the tests run 10 to 25 times slower than natively (a grading of
# the net chapter: 1.6 s on this host, 36 s in the guest): the grader's
# time limits, which bound a run rather than check it, are stretched by as
# much (WORKBOOK_TIME_SCALE, tests/grader/grade.sh).
[ "$accel" = kvm ] && scale=1 || scale=10
config=("scale=$scale" "work=$(quote "$root")" "vmdir=$(quote "$vmdir")" "build=$(quote "$vm/build")" "timeout=$timeout")
if [ $# -gt 0 ]; then
	config+=("cmd=$(quote "$(printf '%q ' "$@")")")
	mode=cmd
else
	[ -t 0 ] || die "no terminal for a shell: give the VM a command, e.g. make vm CMD='make test'"
	read -r rows cols < <(stty size <&"$stdin" 2>/dev/null || echo 24 80)
	config+=("term=$(quote "${TERM:-vt100}")" "rows=$rows" "cols=$cols")
	tty_state=$(stty -g <&"$stdin")
	mode=shell
fi

run_qemu "$timeout" "$mode" "${config[@]}"
status=$(cat "$run/status")
failed=$(sed -n 's/^vm-init: //p' "$run/console" | head -n 1)
panic=$(grep -m1 -o 'Kernel panic - not syncing: .*' "$run/console" | tr -d '\r' || true)
unpack=$(grep -m1 -o 'Initramfs unpacking failed: .*' "$run/console" | tr -d '\r' || true)
if [[ $status =~ ^[0-9]+$ ]]; then
	exit "$status"
elif [ -n "$timed_out" ]; then
	die "no answer from the VM in $timeout s (VM_TIMEOUT): stopped it; its console is in $console_log"
elif [ -n "$failed" ]; then
	die "the guest could not start: $failed"
elif [ -n "$unpack" ]; then
	die "the kernel could not unpack $vm/boot/initramfs.img (${unpack#Initramfs unpacking failed: }): remove $vm/boot and run make vm again to remake it"
elif [ -n "$panic" ]; then
	die "the guest's kernel panicked: ${panic#Kernel panic - not syncing: }"
elif [ -s "$run/qemu" ]; then
	die "qemu failed: $(grep -v '^$' "$run/qemu" | tail -n 1)"
fi
die "the VM stopped before the command ended; its console is in $console_log"
