#!/usr/bin/env bash
# lab-entry: the lab container's first process (the image's ENTRYPOINT).
#
# With no arguments, greets the student and opens a shell; with arguments,
# runs them as a command.  Either way it then gives the files that root
# created in the workbook back to the workbook's owner, and exits with the
# shell's or the command's status.
set -euo pipefail

workbook=/workbook

# give_back: chowns each root-owned file under the workbook to the owner of
# the workbook.  Matters under a rootful engine on Linux, where root here is
# root on the host and would leave build/ and new files that the student
# cannot change or delete; a no-op when root owns the workbook (rootless
# podman, a root host).  Prints one line if chown is refused, never fails.
give_back() {
	local owner
	owner=$(stat -c %u:%g "$workbook" 2>/dev/null) || return 0
	[ "${owner%%:*}" != 0 ] || return 0
	if ! find "$workbook" -xdev -user 0 -exec chown -h "$owner" {} + 2>/dev/null; then
		echo "lab: could not give every file in $workbook back to its owner (uid ${owner%%:*})" >&2
	fi
}

# greet: where to start, in a few lines.
greet() {
	cat <<'GREETING'

  The lab: a Debian machine where you are root.  /workbook is your workbook,
  shared with your own machine: what you change here is kept there.

    make                   build the programs into build/bin, the book into build/book
    build/bin/net ip a     run `ip a` in a new network namespace
    make test              the workbook's own tests
    make check CHAPTER=net grade your exercises for a chapter
    man 7 namespaces       the kernel's own account (man 2 clone, man 2 unshare)

  Read chapters/*/README.md, or open build/book/index.html on your machine.
  `exit` leaves the lab.

GREETING
}

# A container engine leaves / private; systemd makes it shared on every
# machine it boots, and the book's lab is such a machine: chapter 2's mount
# that leaks, and chapter 5's /proc, show only on a shared /.
if ! mount --make-rshared / 2>/dev/null; then
	echo "lab: could not make / shared: the mounts of chapters 2 and 5 will not leak here" >&2
fi

give_back
if [ $# -eq 0 ]; then
	greet
	set -- bash
fi
status=0
"$@" || status=$?
give_back
exit "$status"
