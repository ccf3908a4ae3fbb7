/*
 * test-cgroup.c: chapter 8, a cgroup of its own, with limits that hold.
 *
 * The sandbox has a cgroup of its own (tests/harness/cgbox.h), laid out as
 * this machine's are: v2, v1, or hybrid.  The observer reads the cgroup
 * files of the probe's folders while the probe holds, lists every folder
 * of the sandbox's tree before and after, and, with --trace-cgroup, logs
 * in order every open of a file that limits a cgroup and every execve().
 * The probe looks at its own cgroups from inside (--cgroup), forks until
 * refused (--forks), spins (--spin) or takes memory (--eat) once the
 * observer has looked.  Where no cgroup can be had, every test skips, with
 * the reason and what would give one.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sandbox.h"

#define SEE_CHANGE "See chapters/08-cgroup/README.md, 8.2 \"The one change\"."
#define SEE_WHY "See chapters/08-cgroup/README.md, 8.4 \"Why it works\"."
#define SEE_TRAPS "See chapters/08-cgroup/README.md, 8.5 \"Traps\"."

static struct run r;

/* Skips the test where the sandbox gets no cgroup. */
static void need_cgroup(void)
{
	const char *why = sandbox_cgroup_missing();

	if (why != NULL)
		cr_skip_test("this machine gives the sandbox no cgroup: %s", why);
}

/* Runs the program under test with args on scene, and checks that the
 * sandbox reported to the end. */
static void run_with(const char *const scene[], const char *const args[])
{
	sandbox_run(&r, program_under_test("cgroup"), scene, args);
	cr_assert(r.observed, "the sandbox did not finish its report; its "
		  "stderr:\n%s", r.err);
}

/* Returns true if the sandbox's controllers are on cgroup v2. */
static bool on_v2(void)
{
	const char *layout = run_get(&r, "before", "cglayout");

	return layout != NULL && strcmp(layout, "v2") == 0;
}

/* Returns the number in the probe's cgroup file file, or -1. */
static long long cgnumber(const char *file)
{
	const char *v = run_cgfile(&r, file);

	return v != NULL && *v >= '0' && *v <= '9' ? atoll(v) : -1;
}

/* Returns the number after "KEY " in the probe's cgroup file file (a list
 * of "KEY VALUE, ..."), or -1. */
static long long cgcounter(const char *file, const char *key)
{
	const char *v = run_cgfile(&r, file);
	size_t k = strlen(key);

	for (; v != NULL; v = strstr(v, ", ")) {
		v += *v == ',' ? 2 : 0;
		if (strncmp(v, key, k) == 0 && v[k] == ' ')
			return atoll(v + k + 1);
		if (*v == '\0')
			break;
		v++;
	}
	return -1;
}

/* Returns how many lines of /proc/self/cgroup, as the probe saw it, name
 * the root of the namespace ("ID:CONTROLLERS:/"). */
static int rooted(void)
{
	int n = 0;

	for (size_t i = 0; i < r.nlines; i++) {
		const char *line = r.lines[i].text;
		size_t k = strlen(line);

		n += strcmp(r.lines[i].section, "inside") == 0 &&
		     strncmp(line, "cgself ", 7) == 0 && k > 2 &&
		     strcmp(line + k - 2, ":/") == 0;
	}
	return n;
}

/* Returns true if, while the probe held, it was in a folder of the
 * program's own making. */
static bool made_a_cgroup(void)
{
	return strstr(run_list(&r, "during", "probecg"), "/workbook/cgroup-") != NULL;
}

/* Returns how many lines of stderr there are. */
static int lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

TestSuite(cgroup, .init = need_cgroup, .timeout = 20);

/* The memory test: 32 MiB at most, the probe takes 64 once looked at. */
static const char *const eat[] = { "--memory", "32M", "@probe", "--cgroup",
				   "--hold", "--eat", "64", NULL };

Test(cgroup, memory_limit_holds)
{
	const char *file, *peak;

	run_with(NULL, eat);
	file = on_v2() ? "memory.max" : "memory.limit_in_bytes";
	cr_assert(r.probed, "`cgroup --memory 32M probe` did not run the probe "
		  "(exit %d); it said:\n%s" SEE_CHANGE, r.exit_code, r.err);
	cr_expect(cgnumber(file) == 32 << 20,
		  "outside, while the command ran, its cgroup's %s read %s; "
		  "expected 33554432, the 32M asked for. " SEE_CHANGE, file,
		  run_cgfile(&r, file));
	cr_expect(r.exit_code == 137 && r.signal == 0,
		  "the command took 64 MiB under a limit of 32 MiB, and the "
		  "program exited %d (signal %d); expected 137, 128 + 9: the "
		  "OOM killer's SIGKILL. " SEE_WHY, r.exit_code, r.signal);
	/* Its resident size also counts the pages of its own program file,
	 * which the page cache holds, charged to whoever read them first. */
	peak = run_get(&r, "after", "peakrss");
	cr_expect(peak != NULL && atol(peak) <= 34 * 1024,
		  "outside, the command's largest resident size was %s KiB, "
		  "over the 32 MiB (32768 KiB) of its limit. " SEE_WHY, peak);
	cr_expect(!run_has(&r, "output", "done eat 64"),
		  "inside, the command got all the 64 MiB it asked for, under a "
		  "limit of 32 MiB. " SEE_WHY);
}

Test(cgroup, oom_kill_reported_from_the_cgroup)
{
	run_with(NULL, eat);
	cr_expect(lines(r.err) == 1 && strstr(r.err, "out of memory") != NULL &&
		  strstr(r.err, "oom_kill 1") != NULL,
		  "the OOM killer ended the command, and the program said:\n%s\n"
		  "expected one line saying so, with the count from the "
		  "cgroup's own file (memory.events or memory.oom_control: "
		  "oom_kill 1). " SEE_CHANGE, r.err);
	/* A SIGKILL that is not the OOM killer's is not reported as one. */
	run_with(NULL, (const char *const[]){ "--memory", "32M", "sh", "-c",
					      "sh -c 'kill -KILL $$'", NULL });
	cr_expect(r.exit_code == 137 && strstr(r.err, "out of memory") == NULL,
		  "a command that killed itself with SIGKILL, well within its "
		  "memory, made the program exit %d and say:\n%s\nexpected 137 "
		  "and no word of memory: only the cgroup's counter tells an "
		  "OOM kill from another SIGKILL. " SEE_CHANGE, r.exit_code,
		  r.err);
}

/* The pids test: 8 at most, the probe tries 300, more than the sandbox's
 * own limit. */
static const char *const pids_scene[] = { "--fork-outside", NULL };
static const char *const bomb[] = { "--pids", "8", "@probe", "--forks", "300",
				    "--hold", NULL };

Test(cgroup, fork_bomb_stops_at_the_limit)
{
	run_with(pids_scene, bomb);
	cr_assert(r.probed, "`cgroup --pids 8 probe --forks 300` did not run "
		  "the probe (exit %d); it said:\n%s" SEE_CHANGE, r.exit_code,
		  r.err);
	cr_expect(run_has(&r, "inside", "forked 7") &&
		  run_has(&r, "inside", "failed fork: Resource temporarily "
			  "unavailable"),
		  "inside, with 8 processes allowed, the command made %s "
		  "children (%s); expected 7, then fork() refused with EAGAIN: "
		  "the command is the eighth. " SEE_CHANGE,
		  run_list(&r, "inside", "forked"), run_list(&r, "inside", "failed"));
	cr_expect(cgnumber("pids.max") == 8 && cgnumber("pids.current") == 8 &&
		  cgcounter("pids.events", "max") >= 1,
		  "outside, its cgroup's pids.max read %s, pids.current %s and "
		  "pids.events %s; expected 8, 8 and max 1 or more. " SEE_WHY,
		  run_cgfile(&r, "pids.max"), run_cgfile(&r, "pids.current"),
		  run_cgfile(&r, "pids.events"));
	cr_expect(run_has(&r, "during", "outside fork done") && r.nproc_peak == 0,
		  "outside the command's cgroup, the sandbox could not start a "
		  "process while the command was at its limit (%s): the limit "
		  "must be the command's alone. " SEE_WHY,
		  run_find(&r, "during", "outside fork"));
	cr_expect(lines(r.err) == 1 &&
		  strstr(r.err, "limit of 8 processes") != NULL &&
		  strstr(r.err, "pids.events") != NULL && r.exit_code == 3,
		  "the program exited %d and said:\n%s\nexpected the command's "
		  "status, 3, and one line saying it reached its limit of 8 "
		  "processes, from pids.events. " SEE_CHANGE, r.exit_code, r.err);
}

/* The CPU test: half a CPU, measured outside over 1.2 s of spinning. */
static const char *const cpu_scene[] = { "--cpu-window", "1200", NULL };
static const char *const spin[] = { "--cpu", "50", "@probe", "--spin", NULL };

Test(cgroup, half_a_cpu)
{
	long long wall = 0, used = 0, held = 0;
	const char *window, *quota;

	run_with(cpu_scene, spin);
	window = run_get(&r, "during", "cpuwindow");
	quota = run_get(&r, "during", "cpuquota");
	cr_assert(window != NULL && sscanf(window, "%lld usage %lld throttled %lld",
					   &wall, &used, &held) == 3 &&
		  wall >= 1000000,
		  "outside, the command's CPU time could not be measured over a "
		  "second (%s; the program said:\n%s). " SEE_CHANGE, window, r.err);
	cr_expect(quota != NULL && strcmp(quota, "50000 100000") == 0,
		  "outside, the command's cgroup allows %s (quota and period, "
		  "in microseconds); expected 50000 100000, half of each "
		  "100 ms. " SEE_WHY, quota);
	/* Load can only lower the first figure and raise the second. */
	cr_expect(used * 10 <= wall * 6,
		  "outside, over %lld ms the command used %lld ms of CPU, more "
		  "than 60%% of one CPU under a limit of 50%%. " SEE_WHY,
		  wall / 1000, used / 1000);
	cr_expect(used * 10 >= (used + held) * 4,
		  "outside, over %lld ms the command used %lld ms of CPU and was "
		  "held back %lld ms: less than 40%% of the time it could have "
		  "run. " SEE_WHY, wall / 1000, used / 1000, held / 1000);
}

Test(cgroup, limits_written_before_the_command_runs)
{
	static const char *const scene[] = { "--trace-cgroup", NULL };
	const char *first_exec = NULL;
	size_t limits = 0, late = 0;

	run_with(scene, (const char *const[]){ "--memory", "32M", "--pids", "8",
					       "--cpu", "50", "@probe", NULL });
	for (size_t i = 0; i < r.nlines; i++) {
		const char *line = r.lines[i].text;

		if (strcmp(r.lines[i].section, "after") != 0)
			continue;
		if (strncmp(line, "exec ", 5) == 0 && strstr(line, " /box/probe") &&
		    first_exec == NULL)
			first_exec = line;
		if (strncmp(line, "open ", 5) == 0 && strstr(line, " write") &&
		    !strstr(line, "/cgroup.")) {
			limits++;
			late += first_exec != NULL;
		}
	}
	cr_expect(first_exec != NULL && limits >= 3 && late == 0,
		  "the program wrote %zu limit files, %zu of them after its "
		  "command had started (%s): a limit written once the command "
		  "runs comes too late for what it did before. Write them "
		  "before the child is let go. " SEE_CHANGE, limits, late,
		  run_list(&r, "after", "open"));
}

Test(cgroup, command_in_a_cgroup_namespace)
{
	static const char *const args[] = { "--memory", "32M", "--pids", "8",
					    "@probe", "--cgroup", "--hold", NULL };

	run_with(NULL, args);
	cr_assert(r.probed, "the program did not run its command (exit %d): "
		  "%s", r.exit_code, r.err);
	expect_new_namespace(&r, "cgroup", SEE_CHANGE);
	cr_expect(run_count(&r, "inside", "cgself") > 0 &&
		  run_count(&r, "inside", "cgself") == rooted(),
		  "inside, /proc/self/cgroup reads %s; expected \"/\" on every "
		  "line (\"0::/\" on v2): in a cgroup namespace of its own, "
		  "made once it is in its cgroups, the command's cgroup is its "
		  "root. " SEE_WHY, run_list(&r, "inside", "cgself"));
	cr_expect(made_a_cgroup(),
		  "outside, the command's folders were %s; expected "
		  "workbook/cgroup-PID in each hierarchy. " SEE_CHANGE,
		  run_list(&r, "during", "probecg"));
	cr_expect(run_has(&r, "inside", on_v2() ? "cglimit memory.max 33554432" :
			  "cglimit memory.limit_in_bytes 33554432") &&
		  run_has(&r, "inside", "cglimit pids.max 8"),
		  "inside, at the root of its own cgroup tree, the command finds "
		  "the limits %s; expected its own, 32M of memory and 8 "
		  "processes. " SEE_WHY, run_list(&r, "inside", "cglimit"));
}

Test(cgroup, cgroup_removed_after)
{
	run_with(NULL, eat);
	cr_expect(made_a_cgroup(),
		  "outside, while the command ran, its folders were %s; expected "
		  "workbook/cgroup-PID in each hierarchy. " SEE_CHANGE,
		  run_list(&r, "during", "probecg"));
	cr_expect(run_cgroups_unchanged(&r),
		  "outside, once the program had ended, the sandbox's cgroups "
		  "were:\n%s\nbefore it ran:\n%s\nThe program must remove the "
		  "folders it made (rmdir), and workbook/ when it is empty. "
		  SEE_TRAPS, run_list(&r, "after", "cgroup"),
		  run_list(&r, "before", "cgroup"));
}

/* Stopped by signal sig ("TERM", "INT") while its command runs, the
 * program must take the command with it, remove its cgroup, and exit
 * 128 + number. */
static void expect_clean_stop(const char *sig, int number)
{
	const char *const scene[] = { "--signal", sig, NULL };
	char key[32];

	run_with(scene, (const char *const[]){ "--pids", "8", "@probe", "--hold",
					       NULL });
	snprintf(key, sizeof(key), "signal %s orphans", sig);
	cr_expect(run_get(&r, "during", key) != NULL &&
		  strcmp(run_get(&r, "during", key), "0") == 0 &&
		  r.exit_code == 128 + number && r.signal == 0,
		  "stopped by SIG%s, the program exited %d (signal %d) and "
		  "left %s processes; expected %d, and none. " SEE_CHANGE, sig,
		  r.exit_code, r.signal, run_get(&r, "during", key), 128 + number);
	cr_expect(run_cgroups_unchanged(&r),
		  "stopped by SIG%s, the program left the sandbox's cgroups "
		  "so:\n%s\nbefore it ran:\n%s\nCatch the signal, kill the "
		  "command, then remove the cgroup. " SEE_TRAPS, sig,
		  run_list(&r, "after", "cgroup"), run_list(&r, "before", "cgroup"));
}

Test(cgroup, cgroup_removed_after_sigterm)
{
	expect_clean_stop("TERM", 15);
}

Test(cgroup, cgroup_removed_after_sigint)
{
	expect_clean_stop("INT", 2);
}
