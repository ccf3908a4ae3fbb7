#!/usr/bin/env bash
# apt-mirror.sh: print the address of the Debian archive this machine's apt
# already uses, so that nothing in the workbook names a mirror of its own.
#
#     usage: tools/apt-mirror.sh [SUITE]     (SUITE: bookworm by default;
#                                             bookworm-security for that one)
#
# Reads /etc/apt/sources.list and /etc/apt/sources.list.d/ (one-line and
# deb822 formats alike) and prints the first URI of a "deb" source whose
# suites hold SUITE, without a trailing slash.  Exit 1, with one line on
# stderr, when there is none.
set -euo pipefail

suite=${1:-bookworm}
shopt -s nullglob
{
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		# deb [options] URI SUITE COMPONENT...
		sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
			awk -v s="$suite" '$1 == "deb" && $3 == s { print $2 }'
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		# Stanzas of "Key: value" lines, separated by blank lines.
		awk -v s="$suite" '
			function flush() {
				if (types ~ /(^| )deb( |$)/ && (" " suites " ") ~ (" " s " ") && enabled != "no")
					print uris
				types = suites = uris = enabled = ""
			}
			/^[[:space:]]*#/ { next }
			/^[[:space:]]*$/ { flush(); next }
			{ key = tolower($1); sub(/^[^:]*:[[:space:]]*/, "") }
			key == "types:" { types = $0 }
			key == "suites:" { suites = $0 }
			key == "uris:" { split($0, u, " "); uris = u[1] }
			key == "enabled:" { enabled = tolower($0) }
			END { flush() }' "$f"
	done
} | sed 's#/*$##' | awk 'NF { print; found = 1; exit } END { exit !found }' || {
	echo "apt-mirror: no apt source for $suite in /etc/apt: add a deb line for it to /etc/apt/sources.list.d/" >&2
	exit 1
}
