#!/usr/bin/env bash
# class-test.sh: make check-all's own tests, as `make test` runs them.
#
#     usage: tests/grader/class-test.sh BUILD_DIR
#
# A small class, each submission holding one or two exercises of one
# chapter, or none, of every kind check-all takes and every kind it must
# refuse:
#   alice   a folder holding chapters/, with a solution
#   bob     a .zip with one top folder, with the stub
#   carol   a .tar.gz of chapters/, half done: one solution, one stub
#   dave    a git repository: alice's solution committed, then broken in
#           the working tree (what HEAD holds is graded)
#   mallory a folder whose program kills every process it can, graded
#           beside the others
#   refused: an empty folder, a file that is no zip, names out of the
#   archive (../, absolute), a link out of it, a zip bomb; and a stray file,
#   which is skipped.
# 1. The gradebook has a row per student, the points each must have, and
#    each refusal's reason; the summary counts them.
# 2. Each student's report.txt, results.json, junit.xml and Classroom
#    payload are those tools/check.sh gives for the same files alone (but
#    the spare uid a message may name, and the times); the payload agrees
#    with results.json.  alice and dave hand in the same files: one
#    grading alone stands for both.
# 3. The submissions are byte for byte as they were.
# 4. A second run grades no one; one changed submission is graded again
#    alone; -f grades all again (the class cut down to two, first).
# Lean, as a part of make test: one chapter's two exercises, each graded
# once for the whole class (check-all's share), and three times alone.
# Prints "class: N passed, M failed" last; exit 0 only if M is 0.
set -euo pipefail

build=$(cd "${1:?usage: tests/grader/class-test.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
out="$build/class-test"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/harness/expect.sh
. "$root/tests/harness/expect.sh"

# sums DIR: path, mode, size and checksum of everything under DIR.
sums() {
	(cd "$1" && find . -printf '%p %m %s %T@\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

# -- The class.
subs="$tmp/subs"
hostname=solutions/03-uts/hostname.c
domainname=chapters/03-uts/domainname.c
mkdir -p "$subs/alice/chapters/03-uts" "$tmp/bob/bob/03-uts" "$tmp/carol/chapters/03-uts" \
	"$subs/dave/chapters/03-uts" "$subs/mallory/03-uts" "$subs/empty"
cp "$root/$hostname" "$subs/alice/chapters/03-uts/"
cp "$root/chapters/03-uts/hostname.c" "$tmp/bob/bob/03-uts/"
cp "$root/$hostname" "$root/$domainname" "$tmp/carol/chapters/03-uts/"
cp "$root/$hostname" "$subs/dave/chapters/03-uts/"
cp "$root/tests/safety/hostile/killall.c" "$subs/mallory/03-uts/hostname.c"
cp "$root/tests/safety/hostile/hostile.h" "$subs/mallory/03-uts/"
tar -C "$tmp/carol" -czf "$subs/carol.tar.gz" chapters
git -C "$subs/dave" init -q
git -C "$subs/dave" add chapters
git -C "$subs/dave" -c user.name=dave -c user.email=dave@example.org commit -qm solved
echo "this is not C" >>"$subs/dave/chapters/03-uts/hostname.c"
echo "a note" >"$subs/notes.txt"
echo "not a zip" >"$subs/corrupt.zip"
python3 - "$tmp" "$subs" <<'EOF'
import io, sys, tarfile, zipfile
tmp, subs = sys.argv[1:]
def tar(name, member, data=b"x"):
    with tarfile.open("%s/%s" % (subs, name), "w:gz") as t:
        if member.type == tarfile.REGTYPE:
            member.size = len(data)
        t.addfile(member, io.BytesIO(data) if member.type == tarfile.REGTYPE else None)
with zipfile.ZipFile(subs + "/bob.zip", "w") as z:
    z.write(tmp + "/bob/bob/03-uts/hostname.c", "bob/03-uts/hostname.c")
with zipfile.ZipFile(subs + "/climb.zip", "w") as z:
    z.writestr("../../03-uts/hostname.c", "int main;")
tar("absolute.tar.gz", tarfile.TarInfo("/tmp/03-uts/hostname.c"))
link = tarfile.TarInfo("03-uts/hostname.c")
link.type, link.linkname = tarfile.SYMTYPE, "../../../etc/shadow"
tar("link.tar.gz", link)
# 65 MiB of zeros, some 65 kB zipped.
with zipfile.ZipFile(subs + "/bomb.zip", "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("03-uts/hostname.c", "w") as f:
        for _ in range(65):
            f.write(bytes(1 << 20))
EOF
sums "$subs" >"$tmp/subs.before"

# check_all NAME [ARG...]: runs check-all on the class into OUT; its
# output in $tmp/NAME.out, its status in $tmp/NAME.rc.
check_all() {
	local name=$1 rc=0
	shift
	"$root/tools/check-all.sh" -o "$out" -B "$build" "$@" "$subs" >"$tmp/$name.out" 2>&1 || rc=$?
	echo "$rc" >"$tmp/$name.rc"
}
rm -rf "$out"
check_all first -j 3

echo "== The gradebook"
book="$out/gradebook.tsv"
# field STUDENT COLUMN: the gradebook's field COLUMN (by its header) for
# STUDENT.
field() {
	awk -F '\t' -v s="$1" -v c="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
		$1 == s { print $(col[c]) }' "$book"
}
expect "check-all exits 1: some submissions were refused (got $(cat "$tmp/first.rc"))" \
	same "$(cat "$tmp/first.rc")" 1
[ "$(cat "$tmp/first.rc")" = 1 ] || sed 's/^/  /' "$tmp/first.out"
expect "gradebook.csv has a header and a row per student" \
	same "$(wc -l <"$out/gradebook.csv")" 12
for student in alice:2:0 bob:0:0 carol:2:0 dave:2:0 mallory:0:0; do
	IFS=: read -r id want_h want_d <<<"$student"
	got="$(field "$id" hostname) $(field "$id" domainname) $(field "$id" total) $(field "$id" status)"
	expect "$id: hostname $want_h points, domainname $want_d, graded (got $got)" \
		same "$got" "$want_h $want_d $((want_h + want_d)) graded"
done
expect "carol's stub was graded, and failed on its own tests" \
	grep -q 'domainname.*FAIL' "$out/carol/report.txt"
expect "... which alice, who handed in no domainname.c, did not" \
	grep -q 'there is no 03-uts/domainname.c in WORK' "$out/alice/report.txt"
while IFS='|' read -r id words; do
	got="$(field "$id" status): $(field "$id" reason)"
	expect "$id is refused, saying \"$words\" (got $got)" grep -qF -- "$words" <<<"$got"
done <<'REFUSED'
empty|the folder is empty
corrupt|is not a zip archive that can be read
climb|a path climbs out of it: ../../03-uts/hostname.c
absolute|it names an absolute path: /tmp/03-uts/hostname.c
link|a link points out of it: 03-uts/hostname.c -> ../../../etc/shadow
bomb|it unpacks to more than 64 MiB (a zip bomb?)
REFUSED
expect "the stray file is skipped, and said so" \
	grep -q "skipped notes.txt: not a submission" "$tmp/first.out"
expect "the summary counts them" \
	grep -q "^check-all: 11 students: 5 graded, 0 could not be graded, 6 refused" "$tmp/first.out"
expect "nothing of a refused archive is left unpacked" \
	test ! -e "$out/.work/bomb" -a ! -e "$out/.work/link"

echo "== Each student, as tools/check.sh grades them alone"
# normal FILE: FILE but the spare uids a message names and JUnit's times;
# a Classroom payload decoded first.
normal() {
	case $1 in
	*.b64) base64 -d "$1" 2>/dev/null | jq -S . ;;
	*) cat "$1" ;;
	esac | sed -E 's/\b2[0-9]{5}\b/UID/g; s/ time="[^"]*"//g'
}
declare -A work=([alice]="$subs/alice/chapters" [carol]="$out/.work/carol/chapters"
	[mallory]="$subs/mallory")
for id in "${!work[@]}"; do
	"$root/tools/check.sh" -o "$tmp/alone/$id" -B "$build" "${work[$id]}" >"$tmp/alone-$id.txt" 2>&1 &
done
wait
expect "dave's HEAD is alice's work" diff -r "$subs/alice/chapters" "$out/.work/dave/chapters"
for id in alice carol dave mallory; do
	as=$id
	[ "$id" != dave ] || as=alice
	for file in report.txt results.json junit.xml classroom.b64; do
		alone="$tmp/alone/$as/$file"
		[ "$file" != report.txt ] || alone="$tmp/alone-$as.txt"
		expect "$id: $file is what check.sh gives alone" \
			cmp -s <(normal "$alone") <(normal "$out/$id/$file")
	done
	# shellcheck disable=SC2016 # jq's variables, not the shell's
	expect "$id: the Classroom payload decodes to results.json's tests and scores" \
		quietly jq -e -n --slurpfile p <(base64 -d "$out/$id/classroom.b64") --slurpfile r "$out/$id/results.json" '
		$p[0] as $p | $r[0] as $r | $p.version == 1 and $p.status == "fail" and
		([$p.tests[].score] | add) == $r.score and
		[$p.tests[] | [.name, .score, .max_score, .status == "pass", .message]] ==
		[$r.tests[] | [.name, .score, .max_score, .status == "passed", .output]]'
done
expect "mallory's kill(-1) is in her report, and ended nothing of the others'" \
	grep -q "status 137" "$out/mallory/report.txt"

echo "== The submissions"
sums "$subs" >"$tmp/subs.after"
expect "every submission is byte for byte as it was" cmp -s "$tmp/subs.before" "$tmp/subs.after"

echo "== Again"
cp "$book" "$tmp/book.first"
check_all again
expect "a second run grades no one, and keeps the gradebook" \
	test "$(grep -c '^check-all: grading 0 of the class' "$tmp/again.out")" = 1 -a \
	"$(cat "$tmp/again.rc")" = 1
expect "... the same gradebook" cmp -s "$tmp/book.first" "$book"
cp "$root/$hostname" "$tmp/bob/bob/03-uts/hostname.c"
rm "$subs/bob.zip"
(cd "$tmp/bob" && python3 -c 'import zipfile; zipfile.ZipFile("'"$subs"'/bob.zip", "w").write("bob/03-uts/hostname.c")')
check_all late
expect "a late submission is graded alone: bob now has his points ($(field bob total))" \
	test "$(grep -c '^check-all: grading 1 of the class' "$tmp/late.out")" = 1 -a \
	"$(field bob total)" = 2
# -f on the class cut down to two, each graded from the share.
find "$subs" -mindepth 1 -maxdepth 1 ! -name alice ! -name bob.zip -exec rm -rf {} +
check_all force -f
expect "-f grades all again" grep -q '^check-all: grading 2 of the class' "$tmp/force.out"
expect "... with the same grades" same "$(field alice total) $(field bob total)" "2 2"

echo "class: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
