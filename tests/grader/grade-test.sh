#!/usr/bin/env bash
# grade-test.sh: the grader's own tests, as `make test` runs them.
#
#     usage: tests/grader/grade-test.sh BUILD_DIR
#
# 1. The list agrees with the files: every exercise has a stub, a solution,
#    a suite with the tests listed, a heading in its chapter's exercises.md;
#    no name clashes with another program.
# 2. The reference solutions, graded from a copy, get full marks, and the
#    copy is byte for byte as it was.
# 3. The pristine stubs fail every test of every exercise; chapters/ is
#    unchanged.
# 4. The reports parse and agree with the table: JUnit XML well-formed,
#    results.json valid, scores adding up to the "Score:" line.
# 5. A compile error is a graded failure showing the compiler's message;
#    the compiler sees no file outside the exercise's folder; bad input (no
#    such folder, an empty WORK, no such chapter, a folder without
#    exercises) is refused with status 2, and leaves no report of an earlier
#    grading behind.
# 6. Every solution keeps the contract (tests/chapters/test-contract.c),
#    which the grader checks for every exercise whose own tests pass.
# 7. Mutants of the reference solutions, each breaking one thing an
#    exercise asks for, lose the exercise's points, and the test named for
#    that thing is among the failures.
# 8. An exercise this machine cannot run is not graded, and the grading
#    then ends with status 2, whatever the rest scored: chapter 8's, graded
#    where the sandbox gets no cgroup (WORKBOOK_CGROUP=none makes it so).
# 9. tools/check.sh, the plain command, keeps the 0/1/2 contract, and its
#    GitHub Classroom payload (classroom.b64) decodes to what results.json
#    says, or to an error with the reason; `make check` ends 0 or 2, and
#    `make -n check` grades nothing.
# Where the sandbox gets no cgroup here, 2 to 7 expect chapter 8's
# exercises not graded, and its mutants are skipped, saying so.
# Prints "grader: N passed, M failed" last; exit 0 only if M is 0.
set -euo pipefail

build=${1:?usage: tests/grader/grade-test.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out="$build/grade-test"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck source=tests/harness/expect.sh
. "$root/tests/harness/expect.sh"

# sums DIR: a line per file under DIR: path, mode, size, mtime, checksum.
sums() {
	(cd "$1" && find . -printf '%p %m %s %T@\n' | sort &&
		find . -type f -print0 | sort -z | xargs -0 -r sha256sum)
}

grep -v '^#' "$root/tests/exercises.tsv" >"$tmp/list"
points=$(awk -F '\t' '{ s += $3 } END { print s }' "$tmp/list")
ntests=$(awk -F '\t' '{ n += split($5, t, ",") } END { print n }' "$tmp/list")
nex=$(wc -l <"$tmp/list")
# Chapter 8's exercises need a cgroup for the sandbox: without one, each is
# "not graded", one record in place of its tests, and scores nothing.
cg_points=$(awk -F '\t' '$1 == "08-cgroup" { s += $3 } END { print s + 0 }' "$tmp/list")
cg_tests=$(awk -F '\t' '$1 == "08-cgroup" { n += split($5, t, ",") } END { print n + 0 }' "$tmp/list")
cg_nex=$(awk -F '\t' '$1 == "08-cgroup"' "$tmp/list" | wc -l)
if cg_why=$("$build/tests/cgbox" --layout 2>&1 >/dev/null); then
	full=0 earned=$points graded_tests=$ntests graded_nex=$nex
else
	echo "-- chapter 8's exercises are not graded here: ${cg_why#cgbox: }"
	full=2 earned=$((points - cg_points))
	graded_tests=$((ntests - cg_tests + cg_nex)) graded_nex=$((nex - cg_nex))
fi

echo "== The list, against the files"
while IFS=$'\t' read -r dir name pts _ tests title _; do
	for f in "chapters/$dir/$name.c" "solutions/$dir/$name.c"; do
		expect "$f exists" test -f "$root/$f"
	done
	expect "the stub $name.c says what TODO" \
		grep -q TODO "$root/chapters/$dir/$name.c"
	# vpath finds a program by its file name: one of each name, anywhere.
	n=$(find "$root/common" "$root/chapters" -name "$name.c" | wc -l)
	expect "$name.c is the only file of its name in chapters/ and common/" \
		same "$n" 1
	suite="$build/tests/ex-${dir#*-}"
	# Criterion draws its tree with ├── and └── in a UTF-8 locale, with
	# |-- and `-- in the C locale (LANG unset, as under `su -`).
	got=$("$suite" --list | awk -v s="$name:" '$1 == s { on = 1; next }
		/^[^ ]/ && !/^([├└]|[|`]--)/ { on = 0 } on { print $2 }' | sort | tr '\n' ,)
	want=$(tr , '\n' <<<"$tests" | sort | tr '\n' ,)
	expect "suite $name runs the tests listed (runs: $got)" same "$got" "$want"
	[ "$pts" = 1 ] && unit=point || unit=points
	expect "chapters/$dir/exercises.md has the heading ### $title ($pts $unit)" \
		grep -qxF "### $title ($pts $unit)" "$root/chapters/$dir/exercises.md"
done <"$tmp/list"
dups=$(cut -f2 "$tmp/list" | sort | uniq -d)
expect "exercise names are unique ($dups)" same "$dups" ""

# The mutants of the solutions (7), made first, so that they are graded
# side by side with the solutions and the stubs, and judged after them.
# One a line: NAME|FILE (under solutions/)|the TEST that must catch it|a sed
# script that breaks one thing the exercise asks for.
mutants=$(cat <<'MUTANTS'
reaper-exit-2|05-pid/reaper.c|contract.missing_command_explained|s/_exit(err == ENOENT ? 127 : 126);/_exit(2);/
uid_map-no-deny|06-user/uid_map.c|setgroups_denied_before_gid_map|s/write_proc(pid, "setgroups", "deny") == -1)/0)/
rootless-no-deny|06-user/rootless.c|setgroups_denied_before_gid_map|s/write_proc(pid, "setgroups", "deny") == -1 ||//
veth-early|01-net/veth.c|child_waits_for_the_cable|s/failed = netns == -1 || cable(pid, &made) == -1;/failed = write(ready[1], "", 1) != 1 || netns == -1 || cable(pid, \&made) == -1;/
veth-no-wait|01-net/veth.c|parent_waits_for_every_ip|/^static int ip(/,/^}/s/if (waitpid(pid, &status, 0) == -1) {/if ((status = 0)) {/
veth-left-behind|01-net/veth.c|parent_end_removed_after|s/made && uncable() == -1/made \&\& 0 \&\& uncable() == -1/
hostname-late-check|03-uts/hostname.c|name_of_65_bytes_refused|/Parse first, act after/,/^\t}$/d; /The child is in its new UTS namespace/i\	if (hostname != NULL \&\& strlen(hostname) > HOST_NAME_MAX)\n\t\treturn 2;
domainname-wrong-name|03-uts/domainname.c|failed_call_named|s/"%s: setdomainname %s/"%s: sethostname %s/
lo_up-unchecked|01-net/lo_up.c|socket_failure_stops_the_program|s/if (sock == -1) {/if (0) {/
init-inherited-handler|05-pid/init.c|sigterm_at_the_start_stops_the_command|/signal(SIG\(TERM\|INT\), SIG_DFL);/d
volume-one-mount|02-mount/volume.c|submount_read_only_inside|s/target, AT_RECURSIVE, &attr/target, 0, \&attr/
mailbox-cut|04-ipc/mailbox.c|long_message_arrives_whole|s/memcpy(msg.text, text, strlen(text));/snprintf(msg.text, 256, "%s", text);/; s/strlen(text), IPC_NOWAIT/strlen(msg.text), IPC_NOWAIT/
private_tmp-shared|02-mount/private_tmp.c|new_tmp_stays_inside|/MS_REC | MS_PRIVATE, NULL/,/^\t}$/d
read_only-whole-fs|07-rootfs/read_only.c|root_is_read_only|s/MS_REMOUNT | MS_BIND | MS_RDONLY | keep/MS_REMOUNT | MS_RDONLY | keep/
layers-one-upper|07-rootfs/layers.c|two_runs_at_once|s|"/tmp/layers-XXXXXX"|"/tmp/layers-all"|; s|(layer = mkdtemp(scratch)) == NULL|make_dir(layer = scratch) != 0|; /^\tif (layer == scratch \&\&$/,+2d
no_way_out-attached|07-rootfs/no_way_out.c|old_root_is_gone|/umount2(put_old, MNT_DETACH)/,+3d
no_way_out-left-folder|07-rootfs/no_way_out.c|old_root_is_gone|/rmdir(put_old)/,+1d
brief-no-ipv6|09-network/brief.c|ipv6_addresses_as_ip_shows|s/if (addr == NULL ||/if (addr == NULL || ifa->ifa_family == AF_INET6 ||/
brief-unchecked|09-network/brief.c|refused_socket_stops_the_program|s/if (list() != 0)/if (list() != 0 \&\& 0)/
rewire-unwired|09-network/rewire.c|command_not_run_without_a_cable|s/if (read(ready\[0\], &c, 1) != 1) {/if (read(ready[0], \&c, 1) == -1) {/; /mnl_socket_close(nl);/{n;s/if (failed)/if (failed \&\& 0)/}
rewire-left-behind|09-network/rewire.c|parent_end_removed_after|s/if (made && delete_pair(nl) != 0)/if (made \&\& 0 \&\& delete_pair(nl) != 0)/
bridge-unplugged|09-network/bridge.c|containers_talk|s/failed = plug(nl, c->host_end);/failed = 0 \&\& plug(nl, c->host_end);/
bridge-left-behind|09-network/bridge.c|everything_removed_after|s/if (made_bridge && delete_link(nl, bridge) != 0)/if (0)/
oom-swap|08-cgroup/oom.c|swap_limited_too|s/if (put(h->dir, h == v2 ? "memory.swap.max" :/if (0 \&\& put(h->dir, h == v2 ? "memory.swap.max" :/
oom-any-kill|08-cgroup/oom.c|oom_reported_from_the_counters|s/(n = counter(h->dir, h == v2 ? "memory.events" : "memory.oom_control",/(n = 1 + 0 * counter(h->dir, h == v2 ? "memory.events" : "memory.oom_control",/
fork_bomb-one-more|08-cgroup/fork_bomb.c|bomb_stops_at_the_limit|s/snprintf(text, sizeof(text), "%lld", limit\[PIDS\]);/snprintf(text, sizeof(text), "%lld", limit[PIDS] + 1);/
fork_bomb-unreported|08-cgroup/fork_bomb.c|limit_hit_reported|s/(n = counter(h->dir, "pids.events", "max")) > 0)/(n = counter(h->dir, "pids.events", "max")) > 0 \&\& 0)/
fork_bomb-left|08-cgroup/fork_bomb.c|cgroup_gone_after|s/if (rmdir(h->dir) == -1) {/if (0) {/
half_cpu-tenfold|08-cgroup/half_cpu.c|half_a_cpu|s|long long quota = limit\[CPU\] \* CPU_PERIOD / 100;|long long quota = limit[CPU] * CPU_PERIOD / 10;|
half_cpu-always-half|08-cgroup/half_cpu.c|ninety_percent_written|s|long long quota = limit\[CPU\] \* CPU_PERIOD / 100;|long long quota = 50 * CPU_PERIOD / 100;|
cleanup-no-kill|08-cgroup/cleanup.c|daemon_killed_and_cgroup_removed|s/if (h->v2 && put(h->dir, "cgroup.kill", "1") == 0) {/if (0) {/; s/kill((pid_t)atoi(pid), SIGKILL);/(void)pid;/
cleanup-no-sigterm|08-cgroup/cleanup.c|removed_after_sigterm|s/sigaction(SIGTERM, &act, NULL);/signal(SIGTERM, SIG_DFL);/
cleanup-no-sigint|08-cgroup/cleanup.c|removed_after_sigint|s/sigaction(SIGINT, &act, NULL);/signal(SIGINT, SIG_DFL);/
no_admin-bounding-kept|10-privileges/no_admin.c|only_sys_admin_is_gone|/cap_drop_bound(admin) == -1/,+1d
no_admin-wrong-cap|10-privileges/no_admin.c|mount_refused_inside|s/cap_from_name("cap_sys_admin", &admin)/cap_from_name("cap_sys_time", \&admin)/
deny-first-only|10-privileges/deny.c|named_calls_fail_with_eperm|s/name = strtok_r(NULL, ",", &save)) {/name = NULL) {/
deny-unknown-ignored|10-privileges/deny.c|unknown_call_refused|/^static int deny_calls/,/^}/s/if (nr == __NR_SCMP_ERROR) {/if (nr == __NR_SCMP_ERROR) { continue;/
deny-replaces-filter|10-privileges/deny.c|chapter_filter_kept|s/!failed && i < LENGTH(refused)/!failed \&\& ndenied == 0 \&\& i < LENGTH(refused)/
as_user-keeps-defaults|10-privileges/as_user.c|every_capability_gone|s/!as_user && i < LENGTH(default_caps)/i < LENGTH(default_caps)/
as_user-no-nnp|10-privileges/as_user.c|setuid_binary_grants_nothing|/prctl(PR_SET_NO_NEW_PRIVS, 1/,+1d
as_user-gid-ignored|10-privileges/as_user.c|ids_are_the_user|s/as_user ? user_gid : 0/0/
as_user-lax|10-privileges/as_user.c|bad_user_refused|s/if (!good || \*end != '\\0' || errno/if (!good || errno/
lifecycle-no-start-time|11-runtime/lifecycle.c|state_tells_created_running_stopped|s/ || start_time(s->pid) != s->start)/)/
split-no-wait|11-runtime/split.c|create_leaves_the_process_waiting|s/if (fifo != -1 && (read(fifo/if (fifo != -1 \&\& 0 \&\& (read(fifo/
mounts-no-remount|11-runtime/mounts.c|bind_read_only|s/if ((f & MS_BIND) && (f & MS_RDONLY) &&/if (0 \&\&/
console-no-ctty|11-runtime/console.c|slave_is_the_controlling_terminal|s/setsid() == -1 || ioctl(slave, TIOCSCTTY, 0) == -1/setsid() == -1/
MUTANTS
)
# Mutants of different files share a grading, in rounds: round N holds
# the Nth mutant of each file, so a grading costs its fixed share once.
declare -A seen_files=() round_of=() only_of=()
mutant_notes=
rounds=0
while IFS='|' read -r mutant file test script; do
	if [ "$full" != 0 ] && [ "${file%%/*}" = 08-cgroup ]; then
		mutant_notes+="-- mutant $mutant: skipped, as chapter 8 is not graded here"$'\n'
		continue
	fi
	k=${seen_files[$file]:-0}
	seen_files[$file]=$((k + 1))
	round_of[$mutant]=$k
	# Each mutant is graded on the one test that must catch it.
	only_of[$k]+=" $(basename "$file" .c)/$test"
	[ "$k" -lt "$rounds" ] || rounds=$((k + 1))
	mkdir -p "$tmp/mutants/round-$k/${file%/*}"
	sed "$script" "$root/solutions/$file" >"$tmp/mutants/round-$k/$file"
	if cmp -s "$root/solutions/$file" "$tmp/mutants/round-$k/$file"; then
		mutant_notes+="FAIL: mutant $mutant: its sed no longer changes solutions/$file"$'\n'
		failed=$((failed + 1))
		round_of[$mutant]=none
	fi
done <<<"$mutants"
echo "== The solutions, the stubs, a compile error, the mutants: graded side by side"
cp -a "$root/solutions" "$tmp/solutions"
cp -a "$root/solutions" "$tmp/broken"
echo "this is not C" >>"$tmp/broken/03-uts/hostname.c"
# And a usage error that exits 1, in words that are markup in XML, which
# Criterion writes as they are after a failure's first line.
sed -i '/^\tif (optind == argc)$/{n;s/return usage();/return fprintf(stderr, "usage: domainname <command> \& more\\n"), 1;/}' \
	"$tmp/broken/03-uts/domainname.c"
cp -a "$root/solutions" "$tmp/peek"
sed -i "1i #include \"$root/tests/exercises.tsv\"" "$tmp/peek/01-net/lo_up.c"
sums "$tmp/solutions" >"$tmp/solutions.before"
sums "$root/chapters" >"$tmp/chapters.before"
grade() {	# NAME WORK [CHAPTER]: grades into OUT/NAME; status in .rc
	local rc=0
	"$root/tools/check.sh" -o "$out/$1" -B "$build" "$2" "${3:-}" >"$tmp/$1.out" 2>&1 || rc=$?
	echo "$rc" >"$tmp/$1.rc"
}
# in_turn: waits for the grading just started where the tests run many
# times slower than natively (WORKBOOK_TIME_SCALE, set by the test VM
# under emulation): side by side, each would get a fraction of a slow
# processor, more than the scale stretches the limits for.
in_turn() {
	[ "${WORKBOOK_TIME_SCALE:-1}" = 1 ] || wait
}
grade solutions "$tmp/solutions" & in_turn
grade stubs "$root/chapters" & in_turn
grade broken "$tmp/broken" uts & in_turn
grade peek "$tmp/peek" net & in_turn
for ((k = 0; k < rounds; k++)); do
	GRADE_ONLY=${only_of[$k]} grade "mutants-$k" "$tmp/mutants/round-$k" & in_turn
done
wait

for name in solutions stubs broken peek; do	# what a grader said that exited 2
	[ "$(cat "$tmp/$name.rc")" != 2 ] || { [ "$full" = 2 ] && [ "${name#s}" != "$name" ]; } ||
		sed "s/^/$name: /" "$tmp/$name.out"
done
expect "the solutions: exit $full (got $(cat "$tmp/solutions.rc"))" \
	same "$(cat "$tmp/solutions.rc")" "$full"
expect "the solutions: Score: $earned/$points (got $(grep '^Score: ' "$tmp/solutions.out"))" \
	same "$(grep '^Score: ' "$tmp/solutions.out")" "Score: $earned/$points"
sums "$tmp/solutions" >"$tmp/solutions.after"
expect "the graded copy of solutions/ is byte for byte unchanged" \
	cmp -s "$tmp/solutions.before" "$tmp/solutions.after"
expect "the stubs: exit $((full ? 2 : 1)) (got $(cat "$tmp/stubs.rc"))" \
	same "$(cat "$tmp/stubs.rc")" "$((full ? 2 : 1))"
expect "the stubs: Score: 0/$points (got $(grep '^Score: ' "$tmp/stubs.out"))" \
	same "$(grep '^Score: ' "$tmp/stubs.out")" "Score: 0/$points"
sums "$root/chapters" >"$tmp/chapters.after"
expect "chapters/ is byte for byte unchanged" \
	cmp -s "$tmp/chapters.before" "$tmp/chapters.after"
stub_xml="$out/stubs/junit.xml"
own='not(starts-with(@name, "contract."))'
cases=$(xmllint --xpath "count(//testcase[$own])" "$stub_xml" 2>/dev/null || echo 0)
fails=$(xmllint --xpath "count(//testcase[$own][failure])" "$stub_xml" 2>/dev/null || echo 0)
expect "the stubs fail every one of the $graded_tests exercise tests ($fails of $cases failed)" \
	same "$cases $fails" "$graded_tests $graded_tests"
for t in $(xmllint --xpath "//testcase[$own][not(failure)]/@name" "$stub_xml" 2>/dev/null |
	sed 's/ name="\([^"]*\)"/\1 /g'); do
	echo "FAIL: $t passes on its stub: it cannot fail"
done
shown=$(grep -c "FAIL$" "$tmp/stubs.out" || true)
expect "the table shows all $graded_nex exercises graded failed (shows $shown)" \
	same "$shown" "$graded_nex"

echo "== The reports, against the table"
for name in solutions stubs broken; do
	expect "$name: junit.xml is well-formed" xmllint --noout "$out/$name/junit.xml"
	json="$out/$name/results.json"
	expect "$name: results.json is valid JSON" quietly jq -e . "$json"
	score=$(sed -n 's|^Score: \([0-9]*\)/\([0-9]*\)$|\1 \2|p' "$tmp/$name.out")
	# shellcheck disable=SC2016 # jq's variables, not the shell's
	expect "$name: results.json's scores add up to the table's ($score)" \
		quietly jq -e --arg score "$score" '
		([.tests[].score] | add) == .score and
		"\(.score) \([.tests[].max_score] | add)" == $score and
		all(.tests[]; (.status == "passed") == (.score == .max_score) and
			has("name") and has("output"))' "$json"
	# Exercises that failed: the same in the JUnit XML as in the JSON.
	from_xml=$({ xmllint --xpath '//testcase[failure]/@classname' \
		"$out/$name/junit.xml" 2>/dev/null || true; } |
		sed 's/ classname="[^.]*\.\([^"]*\)"/\1\n/g' | sed '/^$/d' |
		sort -u | tr '\n' ' ')
	from_json=$(jq -r '.tests[] | select(.status == "failed") | .name' "$json" |
		sed 's/.*(\(.*\))$/\1/' | sort -u | tr '\n' ' ')
	expect "$name: junit.xml and results.json fail the same exercises ($from_xml)" \
		same "$from_xml" "$from_json"
done
broken="$(cat "$tmp/broken.rc") $(tail -n 1 "$tmp/broken.out")"
grep -q "does not compile" "$tmp/broken.out" && broken+=" named"
grep -q "^ *$tmp/broken/03-uts/hostname.c:[0-9]*:[0-9]*: error: " "$tmp/broken.out" && broken+=" shown"
expect "a compile error fails its exercise with the compiler's message, naming the file where WORK has it, and the rest is graded ($broken)" \
	same "$broken" "1 Score: 0/3 named shown"
usage=$(grep -A1 "contract.usage_without_a_command: with no command, the program exited 1" "$tmp/broken.out" | tail -n 1)
expect "a program that says \"<command> & more\" fails the usage rule, and its words are shown as it said them ($usage)" \
	test "${usage#"${usage%%[! ]*}"}" = "usage: domainname <command> & more"

peek="$(cat "$tmp/peek.rc") $(tail -n 1 "$tmp/peek.out")"
grep -q "exercises.tsv: No such file or directory" "$tmp/peek.out" && peek+=" unseen"
expect "the compiler cannot read a file outside the exercise's folder ($peek)" \
	same "$peek" "1 Score: 3/5 unseen"

rc=0
mkdir -p "$tmp/empty" "$out/bad"
echo '{"score": 1}' >"$out/bad/results.json"	# an earlier grading's
echo '<testsuites/>' >"$out/bad/junit.xml"
"$here/grade.sh" -o "$out/bad" "$build" "$tmp/empty" >"$tmp/bad.out" 2>&1 || rc=$?
expect "a folder without exercises: exit 2, saying so (got $rc)" \
	same "$rc $(grep -c 'none of the exercise files' "$tmp/bad.out")" "2 1"
expect "could not grade: the earlier grading's reports are gone" \
	test ! -e "$out/bad/results.json" -a ! -e "$out/bad/junit.xml"
rc=0
"$here/grade.sh" -o "$out/bad" "$build" "$tmp/no-such-folder" >"$tmp/bad.out" 2>&1 || rc=$?
expect "a missing WORK folder: one line naming it, exit 2 (got $rc)" \
	same "$rc $(wc -l <"$tmp/bad.out") $(grep -c no-such-folder "$tmp/bad.out")" "2 1 1"
rc=0
"$here/grade.sh" -o "$out/bad" "$build" "" >"$tmp/bad.out" 2>&1 || rc=$?
expect "an empty WORK (make check WORK=): one line saying so, exit 2 (got $rc)" \
	same "$rc $(wc -l <"$tmp/bad.out") $(grep -c 'WORK is empty' "$tmp/bad.out")" "2 1 1"
rc=0
"$here/grade.sh" -o "$out/bad" "$build" "$root/solutions" nope >"$tmp/bad.out" 2>&1 || rc=$?
expect "an unknown CHAPTER: one line naming it, exit 2 (got $rc)" \
	same "$rc $(wc -l <"$tmp/bad.out") $(grep -c CHAPTER=nope "$tmp/bad.out")" "2 1 1"

echo "== The contract, graded for every solution"
xml="$out/solutions/junit.xml"
contract=$(xmllint --xpath 'count(//testcase[starts-with(@name, "contract.")])' "$xml" 2>/dev/null || echo 0)
broken=$(xmllint --xpath 'count(//testcase[starts-with(@name, "contract.")][failure])' "$xml" 2>/dev/null || echo 0)
each=$(grep -o "^contract_tests='[^']*'" "$here/grade.sh" | tr -cd '|' | wc -c)
each=$((each + 1))
expect "the contract graded for all $graded_nex solutions graded ($each tests each), and kept ($contract tests, $broken failed)" \
	same "$contract $broken" "$((graded_nex * each)) 0"

echo "== Mutants of the solutions: each loses its exercise's points"
printf '%s' "$mutant_notes"
# Each round's reports, read once: the score of each exercise (score_of,
# by round and name), and which tests failed (failed_in, by round, name
# and test).
declare -A score_of=() failed_in=()
re=' *classname="[^".]*\.([^"]*)" *name="([^"]*)"(.*)'
for ((k = 0; k < rounds; k++)); do
	while IFS=$'\t' read -r name score; do
		score_of[$k/$name]=$score
	done < <(jq -r '.tests[] | "\(.name | sub(".*[(]"; "") | rtrimstr(")"))\t\(.score)"' \
		"$out/mutants-$k/results.json" 2>/dev/null)
	raw=$(xmllint --xpath '//testcase[failure]/@classname | //testcase[failure]/@name' \
		"$out/mutants-$k/junit.xml" 2>/dev/null | tr '\n' ' ') || raw=
	while [[ $raw =~ $re ]]; do
		failed_in[$k/${BASH_REMATCH[1]}/${BASH_REMATCH[2]}]=1
		raw=${BASH_REMATCH[3]}
	done
done
while IFS='|' read -r mutant file test script; do
	k=${round_of[$mutant]:-none}
	[ "$k" != none ] || continue
	name=${file##*/} name=${name%.c}
	lost=${score_of[$k/$name]:-none}
	caught=${failed_in[$k/$name/$test]:-0}
	expect "mutant $mutant: $name scores 0 (got $lost) and $test fails (caught: $caught)" \
		test "$lost" = 0 -a "$caught" = 1
	[ "$caught" = 1 ] || grep -A6 "($name)" "$tmp/mutants-$k.out" | sed "s/^/  $mutant: /" | head -20
done <<<"$mutants"

echo "== An exercise this machine cannot run: not graded, status 2"
rc=0
WORKBOOK_CGROUP=none "$here/grade.sh" -o "$out/no-cgroup" "$build" "$tmp/solutions" cgroup \
	>"$tmp/no-cgroup.out" 2>&1 || rc=$?
shown=$(grep -c " not graded$" "$tmp/no-cgroup.out" || true)
expect "chapter 8's solutions where the sandbox gets no cgroup: exit 2, $cg_nex not graded, saying why (got $rc, $shown)" \
	same "$rc $shown $(grep -c 'could not grade every exercise' "$tmp/no-cgroup.out")" "2 $cg_nex 1"

echo "== The plain command: the Classroom payload, make check's status"
# payload NAME: OUT/NAME/classroom.b64, decoded.
payload() { base64 -d "$out/$1/classroom.b64" 2>/dev/null || echo '{}'; }
for name in solutions stubs broken; do
	# Status 2 (an exercise this machine cannot run) gives an error
	# payload, as for the folder without exercises below.
	[ "$(cat "$tmp/$name.rc")" != 2 ] || continue
	want=pass
	[ "$(cat "$tmp/$name.rc")" = 0 ] || want=fail
	# shellcheck disable=SC2016 # jq's variables, not the shell's
	expect "$name: classroom.b64 decodes to results.json's tests, scores and a status $want" \
		quietly jq -e -n --argjson p "$(payload "$name")" --slurpfile r "$out/$name/results.json" --arg want "$want" '
		$r[0] as $r | $p.version == 1 and $p.status == $want and
		$p.max_score == ([$r.tests[].max_score] | add) and
		([$p.tests[].score] | add) == $r.score and
		[$p.tests[] | [.name, .score, .max_score, .status == "pass", .message]] ==
		[$r.tests[] | [.name, .score, .max_score, .status == "passed", .output]]'
done
rc=0
"$root/tools/check.sh" -o "$out/bad" -B "$build" "$tmp/empty" >"$tmp/bad.out" 2>&1 || rc=$?
# shellcheck disable=SC2016 # jq's variables, not the shell's
expect "check.sh on a folder without exercises: exit 2, and an error payload with the reason (got $rc)" \
	quietly jq -e -n --argjson p "$(payload bad)" --arg rc "$rc" '$rc == "2" and $p.status == "error" and
		($p.tests[0].message | test("none of the exercise files")) and $p.max_score > 0'
# The Classroom workflow hands that payload to the reporter, which reads
# it from the variable named for the grading step's id, upper-cased.
flow="$root/tools/classroom/classroom.yml"
id=$(sed -n 's/^ *id: *//p' "$flow")
expect "the Classroom workflow lifts AppArmor's restriction, runs tools/check.sh and hands build/grade/classroom.b64 to the reporter as runner $id" \
	test -n "$id" -a "$(grep -c -e 'sysctl -w kernel.apparmor_restrict_unprivileged_userns=0' \
		-e 'tools/check.sh chapters' -e 'cat build/grade/classroom.b64' \
		-e "^ *${id^^}_RESULTS: \"\${{ steps.$id.outputs.result }}\"" \
		-e "^ *runners: $id$" "$flow")" = 5
# make, as from a shell: not this make's flags, nor its job server.
make_check() { env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$root" --no-print-directory -s B="$build" "$@"; }
rc=0
make_check -n check WORK="$tmp/solutions" OUT="$tmp/dry" >"$tmp/dry.out" 2>&1 || rc=$?
expect "make -n check grades nothing (status $rc, $(grep -c . "$tmp/dry.out") lines)" \
	test "$rc" = 0 -a ! -e "$tmp/dry" -a "$(grep -c 'tools/check.sh' "$tmp/dry.out")" = 1
rc=0
make_check check WORK="$tmp/solutions" CHAPTER=uts OUT="$out/make-solutions" >"$tmp/make.out" 2>&1 || rc=$?
expect "make check on full marks: status 0, the table printed (got $rc, $(tail -n 1 "$tmp/make.out"))" \
	same "$rc $(tail -n 1 "$tmp/make.out")" "0 Score: 3/3"
rc=0
make_check check WORK="$root/chapters" CHAPTER=uts OUT="$out/make-stubs" >"$tmp/make.out" 2>&1 || rc=$?
expect "make check on a failed test: make's status 2, the table printed (got $rc)" \
	same "$rc $(grep -c '^Score: 0/3$' "$tmp/make.out")" "2 1"

echo "grader: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
