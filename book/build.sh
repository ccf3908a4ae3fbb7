#!/usr/bin/env bash
# build.sh: render the book into build/book/.
#
#     usage: book/build.sh [OUT]        (run from anywhere; OUT: build/book)
#
# The pages, in reading order: book/index.md, every chapters/NN-name/README.md
# (followed by the chapter's exercises.md when it has one), book/next.md and
# book/appendix-article.md.  Each page's title is its first "# " line.
#
# Two passes of pandoc, each page in parallel:
#   1. markdown -> AST (OUT/.work/PREFIX.json): listings, diffs, diagrams,
#      transcripts, hints, ids and links (book/filters/{chapter,listing,dot}.lua);
#   2. AST -> OUT/PAGE.html, numbered from the chapter's number on, with the
#      sidebar and prev/next (nav.lua); and every AST -> OUT/book.html.
# Exit 1, with one line saying why, when any page fails.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
out=${1:-build/book}
work="$out/.work"
filters=book/filters
rm -rf "$work"
mkdir -p "$work"

# title FILE: prints the text of FILE's first "# " heading.
title() {
	local t
	t=$(sed -n 's/^# \(.*\)/\1/p' "$1" | head -n 1)
	if [ -z "$t" ]; then
		echo "book: $1 has no \"# Title\" line" >&2
		return 1
	fi
	printf '%s\n' "$t"
}

# The page list: SOURCE HTML PREFIX NUMBER TITLE, tab-separated; NUMBER is
# "-" for the pages that are not chapters.
pages="$work/pages.tsv"
{
	printf '%s\t%s\t%s\t%s\t%s\n' book/index.md index.html intro - "$(title book/index.md)"
	for readme in chapters/[0-9][0-9]-*/README.md; do
		dir=$(basename "$(dirname "$readme")")
		number=$((10#${dir%%-*}))
		printf '%s\t%s\t%s\t%s\t%s\n' "$readme" "$dir.html" "${dir#*-}" \
			"$number" "$(title "$readme")"
	done
	for extra in book/next.md book/appendix-article.md; do
		name=$(basename "$extra" .md)
		printf '%s\t%s\t%s\t%s\t%s\n' "$extra" "$name.html" "${name%%-*}" - "$(title "$extra")"
	done
} >"$pages"

# What every page carries inline: the style sheet and the script.
head="$work/head.html"
{
	echo "<style>"
	cat book/book.css
	echo "</style>"
	echo "<script>"
	cat book/book.js
	echo "</script>"
} >"$head"

# ast SOURCE PREFIX: pass 1 for one page.
ast() {
	local inputs=("$1")
	local exercises
	exercises="$(dirname "$1")/exercises.md"
	if [ "$1" != "${1#chapters/}" ] && [ -f "$exercises" ]; then
		inputs+=("$exercises")
	fi
	pandoc "${inputs[@]}" -f markdown -t json -o "$work/$2.json" \
		-M pages="$pages" -M source="$1" \
		--lua-filter "$filters/chapter.lua" \
		--lua-filter "$filters/listing.lua" \
		--lua-filter "$filters/dot.lua"
}

# html PREFIX HTML NUMBER: pass 2 for one page.
html() {
	local numbering=()
	if [ "$3" != - ]; then
		numbering=(--number-sections "--number-offset=$(($3 - 1))")
	fi
	pandoc "$work/$1.json" -f json -t html5 -o "$out/$2" \
		--template book/template.html -H "$head" \
		--toc --toc-depth=2 "${numbering[@]}" \
		-M pages="$pages" -M page="$1" \
		--lua-filter "$filters/nav.lua"
}

# each FUNCTION: runs FUNCTION once per page, all at once; fails if any did.
each() {
	local fn=$1 source page prefix number t jobs=() failed=0
	while IFS=$'\t' read -r source page prefix number t; do
		case $fn in
		ast) ast "$source" "$prefix" & ;;
		html) html "$prefix" "$page" "$number" & ;;
		esac
		jobs+=("$!")
	done <"$pages"
	for job in "${jobs[@]}"; do
		wait "$job" || failed=1
	done
	return "$failed"
}

each ast || { echo "book: could not render every page (see above)" >&2; exit 1; }
each html &
all=$!
pandoc "$work/intro.json" -f json -t html5 -o "$out/book.html" \
	--template book/template.html -H "$head" \
	--toc --toc-depth=2 --number-sections --number-offset=-1 \
	-M pages="$pages" -M work="$work" -M single=true -M pagetitle="The whole book" \
	--lua-filter "$filters/single.lua" --lua-filter "$filters/nav.lua"
wait "$all" || { echo "book: could not render every page (see above)" >&2; exit 1; }
echo "book: $(wc -l <"$pages") pages and book.html in $out/"
