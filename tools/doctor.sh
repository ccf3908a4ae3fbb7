#!/usr/bin/env bash
# doctor.sh: say what this machine lacks for the workbook, and how to fix it.
#
#     usage: tools/doctor.sh [--quiet]
#
# Looks, in this order, at: the packages in tools/packages.txt; the namespace
# types the kernel offers (/proc/self/ns); the switches that turn user
# namespaces off (user.max_user_namespaces, Debian's
# kernel.unprivileged_userns_clone, Ubuntu's AppArmor restriction); then tries
# the real thing, as the user the tests' sandbox runs as (a spare uid when
# this is the machine's root): a user namespace, each namespace type inside
# it, a mount, and bubblewrap the way tests/harness/sandbox.c starts it, and reports
# the error the kernel gave.  Also says, for information, whether this is a
# container, whether a seccomp filter is on, and which cgroup version runs.
#
# --quiet: only what stops the tests' sandbox, and nothing at all when the
# sandbox can run.  The test harness and the grader run this first, so that
# they stop with these words instead of failing every test.
#
# Exit status: 0 when the workbook can run here, 2 when something it needs is
# missing (each problem is printed with the command that fixes it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
quiet=
case "${1:-}" in
--quiet) quiet=yes ;;
"") ;;
*) echo "usage: tools/doctor.sh [--quiet]" >&2; exit 2 ;;
esac

problems=0

# ok|info MESSAGE: a line of the report (not in quiet mode).
ok() { [ -n "$quiet" ] || printf '  ok       %s\n' "$1"; }
info() { [ -n "$quiet" ] || printf '  info     %s\n' "$1"; }

# problem MESSAGE FIX...: a missing piece and the commands that fix it; always
# printed, in quiet mode too.
problem() {
	printf '  MISSING  %s\n' "$1"
	shift
	printf '           fix: %s\n' "$1"
	shift
	for line in "$@"; do printf '                %s\n' "$line"; done
	problems=$((problems + 1))
}

# refused MESSAGE REASON: a try that failed.  The first failure is a problem,
# with the fix blame() finds; a switch found off, or an earlier failure,
# explains the ones after it, shown as its consequences.
refused() {
	if [ -n "$switched_off" ]; then
		printf '  so       %s\n' "$1"
	else
		problem "$1" "$(blame "$2")"
		switched_off=yes
	fi
}

# sysctl_fix NAME VALUE: the lines that set a sysctl now and at every boot.
sysctl_fix() {
	echo "sudo sysctl -w $1=$2"
	echo "echo $1=$2 | sudo tee /etc/sysctl.d/60-workbook.conf   (to keep it after a reboot)"
}

# sysctl_value NAME: the value of a sysctl (dots for slashes), or nothing if
# this kernel has no such setting.
sysctl_value() {
	local file="/proc/sys/${1//.//}"
	if [ -r "$file" ]; then cat "$file"; fi
}

# in_container: prints what kind of container this is, or nothing.
in_container() {
	if [ -e /.dockerenv ]; then
		echo docker
	elif [ -e /run/.containerenv ]; then
		echo podman
	elif [ -n "${container:-}" ]; then
		echo "$container"
	elif grep -qsE '/(docker|lxc|kubepods|libpod)' /proc/1/cgroup; then
		echo container
	fi
}

# ---- who the sandbox runs as ------------------------------------------------
# tests/harness/sandbox.c drops to a spare uid when this is the machine's root (uid 0
# in a user namespace that maps every uid to itself); so do the tries below.
as_sandbox=()
sandbox_user="uid $(id -u)"
if [ "$(id -u)" -eq 0 ] && [ "$(awk '{print $1, $2, $3; exit}' /proc/self/uid_map 2>/dev/null)" = "0 0 4294967295" ]; then
	spare=$((200000 + $$ % 100000))
	as_sandbox=(setpriv --reuid="$spare" --regid="$spare" --clear-groups --)
	sandbox_user="uid $spare"
fi

# try COMMAND...: runs COMMAND as the sandbox's user; on failure prints the
# last line of its error output (which names the call and the errno) and
# returns 1.
try() {
	local err
	if err=$("${as_sandbox[@]}" "$@" 2>&1 >/dev/null); then
		return 0
	fi
	printf '%s\n' "${err:-exit status $?}" | grep . | tail -n 1
	return 1
}

# The sandbox itself, with the namespaces and mounts tests/harness/sandbox.c
# asks for, and the veth pair the network chapter's tests make inside it.
bwrap=(bwrap --unshare-user --uid 0 --gid 0 --unshare-pid --unshare-net
	--unshare-uts --unshare-ipc --unshare-cgroup-try --die-with-parent
	--new-session --cap-add ALL --ro-bind / / --proc /proc --dev /dev
	--tmpfs /tmp)

# --quiet, as every grading calls it: when the sandbox starts and makes its
# veth pair, nothing the tests need is missing, and one try says so (the
# whole diagnosis takes ten: it runs only when this one fails, to name
# what is missing).
if [ -n "$quiet" ] && command -v bwrap >/dev/null && command -v ip >/dev/null &&
	command -v unshare >/dev/null &&
	try "${bwrap[@]}" ip link add doctor-a type veth peer name doctor-b >/dev/null; then
	exit 0
fi

[ -n "$quiet" ] || echo "doctor: what this machine has for the workbook"
[ ${#as_sandbox[@]} -eq 0 ] ||
	info "running as root: the tests run as a spare uid instead, and so do these checks ($sandbox_user)"

# ---- packages ---------------------------------------------------------------
# The same list `make` installs (tools/setup.sh); in quiet mode only
# bubblewrap, which the sandbox cannot do without.
mapfile -t wanted < <(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$here/packages.txt" | awk '{print $1}')
[ -z "$quiet" ] || wanted=(bubblewrap)
if command -v dpkg-query >/dev/null; then
	# One dpkg-query for all: it names a package it has never heard of
	# only in its error line, hence the last word of each line that does
	# not say "installed".
	mapfile -t missing < <(dpkg-query -W -f='${db:Status-Status} ${Package}\n' "${wanted[@]}" 2>&1 |
		awk '$1 != "installed" { print $NF }')
	if [ ${#missing[@]} -eq 0 ]; then
		ok "packages: all ${#wanted[@]} of tools/packages.txt are installed"
	else
		problem "packages: ${missing[*]}" "sudo apt-get install -y ${missing[*]}" \
			"(or, as root, \`make\` installs them)"
	fi
elif ! command -v bwrap >/dev/null; then
	problem "bubblewrap (bwrap): this is not Debian or Ubuntu" \
		"install your distribution's bubblewrap package, and the equivalents of: ${wanted[*]}"
else
	info "not Debian or Ubuntu: make sure the equivalents of these are installed: ${wanted[*]}"
fi

# ---- namespace types --------------------------------------------------------
declare -A config=(
	[cgroup]=CONFIG_CGROUPS [ipc]=CONFIG_IPC_NS [mnt]=CONFIG_NAMESPACES
	[net]=CONFIG_NET_NS [pid]=CONFIG_PID_NS [user]=CONFIG_USER_NS
	[uts]=CONFIG_UTS_NS
)
types=(cgroup ipc mnt net pid user uts)
absent=()
for type in "${types[@]}"; do
	[ -e "/proc/self/ns/$type" ] || absent+=("$type")
done
if [ ${#absent[@]} -eq 0 ]; then
	ok "namespace types in this kernel: ${types[*]}"
else
	for type in "${absent[@]}"; do
		problem "this kernel has no $type namespaces (no /proc/self/ns/$type)" \
			"a kernel built with ${config[$type]}=y (every mainstream distribution's is), or \`make lab\` on a machine that has one"
	done
fi

# ---- the switches -----------------------------------------------------------
max=$(sysctl_value user.max_user_namespaces)
clone=$(sysctl_value kernel.unprivileged_userns_clone)
apparmor=$(sysctl_value kernel.apparmor_restrict_unprivileged_userns)
switched_off=
if [ "$max" = 0 ]; then
	switched_off=yes
	mapfile -t fix < <(sysctl_fix user.max_user_namespaces 15000)
	problem "user namespaces are switched off: user.max_user_namespaces = 0" \
		"${fix[@]}" "(in a container, the setting is the host's: change it there)"
fi
if [ "$clone" = 0 ]; then
	switched_off=yes
	mapfile -t fix < <(sysctl_fix kernel.unprivileged_userns_clone 1)
	problem "user namespaces are for root only: kernel.unprivileged_userns_clone = 0" "${fix[@]}"
fi
if [ "$apparmor" = 1 ]; then
	switched_off=yes
	mapfile -t fix < <(sysctl_fix kernel.apparmor_restrict_unprivileged_userns 0)
	problem "AppArmor takes the capabilities out of a plain user's user namespaces: kernel.apparmor_restrict_unprivileged_userns = 1 (Ubuntu 23.10 and later)" \
		"${fix[@]}" \
		"(or, to let bubblewrap alone make them, so that the tests run but the chapter programs do not:" \
		" printf 'abi <abi/4.0>,\\ninclude <tunables/global>\\nprofile bwrap /usr/bin/bwrap flags=(unconfined) {\\n  userns,\\n}\\n' | sudo tee /etc/apparmor.d/bwrap" \
		" sudo apparmor_parser -r /etc/apparmor.d/bwrap)"
fi
if [ -z "$switched_off" ]; then
	ok "user namespaces are switched on (user.max_user_namespaces = ${max:-?}${clone:+, kernel.unprivileged_userns_clone = $clone}${apparmor:+, kernel.apparmor_restrict_unprivileged_userns = $apparmor})"
fi

# ---- where this runs --------------------------------------------------------
container=$(in_container)
seccomp=$(awk '/^Seccomp:/ {print $2}' /proc/self/status)
[ -z "$container" ] || info "running in a container ($container)"
[ "${seccomp:-0}" = 0 ] || info "a seccomp filter is on (Seccomp: $seccomp in /proc/self/status): it may refuse the calls that make namespaces"

# blame REASON: the fix for a refused namespace, from what the checks above
# found.
blame() {
	if [ "$1" = "Invalid argument" ]; then
		echo "a kernel with every namespace type (every mainstream distribution's), or \`make lab\` on a machine that has one"
	elif [ "${seccomp:-0}" != 0 ] || [ -n "$container" ]; then
		echo "start the container with --privileged (\`make lab\` does), or with --security-opt seccomp=unconfined --security-opt apparmor=unconfined --cap-add SYS_ADMIN"
	else
		echo "ask the machine's administrator to allow unprivileged user namespaces, or use \`make lab\`"
	fi
}

# ---- the real thing ---------------------------------------------------------
if ! command -v unshare >/dev/null; then
	problem "unshare(1), for the checks and the book's commands" "sudo apt-get install -y util-linux"
elif ! err=$(try unshare --user --map-root-user true); then
	reason=${err##*: }
	refused "a user namespace cannot be made here, as $sandbox_user: $err" "$reason"
else
	ok "a user namespace can be made, as $sandbox_user"
	refused=()
	for type in "${types[@]}"; do
		case $type in
		user) continue ;;
		mnt) flags=(--mount) ;;
		pid) flags=(--pid --fork) ;;
		*) flags=("--$type") ;;
		esac
		if ! err=$(try unshare --user --map-root-user "${flags[@]}" true); then
			refused+=("$type")
			refused "$type namespaces are refused inside a user namespace: $err" "${err##*: }"
		fi
	done
	[ ${#refused[@]} -gt 0 ] || ok "inside it, every namespace type: ${types[*]}"
	if err=$(try unshare --user --map-root-user --mount --pid --fork --mount-proc true); then
		ok "inside it, a mount (a fresh /proc)"
	else
		refused "a mount is refused inside a user namespace: $err" "${err##*: }"
	fi
fi

# The sandbox (bwrap, above).
if command -v bwrap >/dev/null; then
	if ! err=$(try "${bwrap[@]}" true); then
		refused "the tests' sandbox (bubblewrap) cannot start, as $sandbox_user: $err" "${err##*: }"
	elif ! command -v ip >/dev/null; then
		ok "the tests' sandbox starts, as $sandbox_user"
	elif ! err=$(try "${bwrap[@]}" ip link add doctor-a type veth peer name doctor-b); then
		problem "the sandbox cannot make a veth pair: $err" \
			"a kernel with CONFIG_VETH (every mainstream distribution's), or: sudo modprobe veth"
	else
		ok "the tests' sandbox starts, and makes a veth pair, as $sandbox_user"
	fi
fi

# ---- cgroups, for information -----------------------------------------------
if [ -z "$quiet" ]; then
	case $(stat -fc %T /sys/fs/cgroup 2>/dev/null || true) in
	cgroup2fs)
		info "cgroups: v2, controllers: $(cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null || echo none)" ;;
	tmpfs)
		controllers=$(awk '!/^#/ && $4 == 1 {printf "%s%s", sep, $1; sep=" "}' /proc/cgroups)
		hybrid=
		[ "$(stat -fc %T /sys/fs/cgroup/unified 2>/dev/null || true)" != cgroup2fs ] ||
			hybrid=", and a cgroup2 at /sys/fs/cgroup/unified (hybrid)"
		info "cgroups: v1, controllers: ${controllers:-none}$hybrid" ;;
	*)
		info "cgroups: none mounted at /sys/fs/cgroup" ;;
	esac
	info "the tests bound each run's memory with RLIMIT_AS and sized tmpfs, which need no cgroup"
fi

if [ "$problems" -eq 0 ]; then
	[ -n "$quiet" ] || echo "doctor: all set"
	exit 0
fi
[ "$problems" -eq 1 ] && what="1 thing is missing" || what="$problems things are missing"
echo "doctor: $what: fix as shown (no root? ask the machine's administrator), or work in \`make lab\`"
exit 2
