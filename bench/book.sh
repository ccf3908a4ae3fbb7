#!/usr/bin/env bash
# bench/book.sh: how long rendering the whole book takes, from nothing.
#
#     usage: bench/book.sh [RUNS]      (default 3; prints each run and the best)
#
# Renders into a temporary folder, so build/book is left as it was.  The
# goal on a 2-core machine: under 10 s.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${1:-3}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

best=
for i in $(seq "$runs"); do
	rm -rf "$out/book"
	start=$(date +%s%N)
	book/build.sh "$out/book" >/dev/null
	end=$(date +%s%N)
	ms=$(((end - start) / 1000000))
	printf 'run %d: %d.%03d s\n' "$i" $((ms / 1000)) $((ms % 1000))
	if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then
		best=$ms
	fi
done
pages=$(find "$out/book" -maxdepth 1 -name '*.html' | wc -l)
printf 'book: %d HTML files in %d.%03d s (best of %d runs; goal: under 10 s)\n' \
	"$pages" $((best / 1000)) $((best % 1000)) "$runs"
