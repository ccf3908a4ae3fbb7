/*
 * ex-cgroup.c: the exercises of chapter 8, cgroups.
 *
 * Every sandbox has a cgroup of its own, laid out as this machine's are
 * (tests/harness/cgbox.h); the observer reads the probe's cgroup files while
 * it holds, lists the sandbox's cgroup folders before and after, and
 * measures CPU time from the cgroup's counters (cgview.h).  oom: the probe
 * takes 64 MiB under a limit of 32 once looked at.  fork_bomb: the probe
 * forks until refused, and the sandbox tries a fork of its own meanwhile.
 * half_cpu: the probe spins for the observer's 1.2 s window.  cleanup: the
 * probe leaves a daemon behind, in a program without a PID namespace.
 * Where no cgroup can be had, every test skips with the reason, which the
 * grader counts as "could not grade".
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

#define SEE_OOM "See 8.6 \"Exercises\", A memory limit that holds (chapters/08-cgroup/exercises.md)."
#define SEE_BOMB "See 8.6 \"Exercises\", A fork bomb that stops (chapters/08-cgroup/exercises.md)."
#define SEE_CPU "See 8.6 \"Exercises\", Half a CPU (chapters/08-cgroup/exercises.md)."
#define SEE_CLEAN "See 8.6 \"Exercises\", Clean up after everything (chapters/08-cgroup/exercises.md)."

static struct run r;

/* Skips the test where the sandbox gets no cgroup. */
static void need_cgroup(void)
{
	const char *why = sandbox_cgroup_missing();

	if (why != NULL)
		cr_skip_test("this machine gives the sandbox no cgroup: %s", why);
}

/* Returns true if the sandbox's controllers are on cgroup v2. */
static bool on_v2(void)
{
	const char *layout = run_get(&r, "before", "cglayout");

	return layout != NULL && strcmp(layout, "v2") == 0;
}

/* Returns the probe's cgroup file, as read outside, cleaned. */
static const char *cgfile(const char *file)
{
	const char *v = run_cgfile(&r, file);

	return v == NULL ? "(none)" : ex_clean(v);
}

/* Returns the number in the probe's cgroup file file, or -1. */
static long long cgnumber(const char *file)
{
	const char *v = run_cgfile(&r, file);

	return v != NULL && *v >= '0' && *v <= '9' ? atoll(v) : -1;
}

/* Returns how many lines s holds. */
static int lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

/* Returns true if, while the probe held, it was in a folder of the
 * program's own making. */
static bool in_own_cgroup(void)
{
	return strstr(run_list(&r, "during", "probecg"), "/workbook/cgroup-") != NULL;
}

/* ---- A memory limit that holds ------------------------------------------ */

TestSuite(oom, .init = need_cgroup, .timeout = 20);

static const char *const hog[] = { "--memory", "32M", "@probe", "--hold",
				   "--eat", "64", NULL };

Test(oom, hog_killed_at_the_limit)
{
	const char *file, *peak;

	ex_run(&r, NULL, hog);
	file = on_v2() ? "memory.max" : "memory.limit_in_bytes";
	ex_expect_ran(&r, SEE_OOM);
	cr_expect(cgnumber(file) == 32 << 20,
		  "outside, while the command ran, its cgroup's %s read %s; "
		  "expected 33554432, the 32M asked for. " SEE_OOM, file,
		  cgfile(file));
	cr_expect(r.exit_code == 137 && r.signal == 0 &&
		  !run_has(&r, "output", "done eat 64"),
		  "the command took 64 MiB under a limit of 32 MiB, and the "
		  "program exited %d (signal %d)%s; expected the OOM killer to "
		  "end it, and the program to exit 137, 128 + 9. " SEE_OOM,
		  r.exit_code, r.signal, run_has(&r, "output", "done eat 64") ?
		  ", the command having got all of it" : "");
	/* Its resident size also counts its own program's pages, which the
	 * page cache holds and charges to whoever read them first. */
	peak = run_get(&r, "after", "peakrss");
	cr_expect(peak != NULL && atol(peak) <= 34 * 1024,
		  "outside, the command's largest resident size was %s KiB, "
		  "over the 32768 KiB of its limit. " SEE_OOM, ex_clean(peak));
}

Test(oom, swap_limited_too)
{
	ex_run(&r, NULL, hog);
	ex_expect_ran(&r, SEE_OOM);
	if (run_cgfile(&r, "memory.swap.max") == NULL &&
	    run_cgfile(&r, "memory.memsw.limit_in_bytes") == NULL)
		cr_skip_test("this kernel keeps no account of swap in cgroups");
	cr_expect(on_v2() ? cgnumber("memory.swap.max") == 0 :
			    cgnumber("memory.memsw.limit_in_bytes") == 32 << 20,
		  "outside, the command's cgroup allowed %s of swap; expected "
		  "none beyond the memory limit: %s. " SEE_OOM,
		  cgfile(on_v2() ? "memory.swap.max" : "memory.memsw.limit_in_bytes"),
		  on_v2() ? "memory.swap.max 0" :
		  "memory.memsw.limit_in_bytes, memory and swap together, 33554432");
}

Test(oom, oom_reported_from_the_counters)
{
	ex_run(&r, NULL, hog);
	ex_expect_ran(&r, SEE_OOM);
	cr_expect(r.exit_code == 137 && lines(r.err) == 1 &&
		  strstr(r.err, "out of memory") != NULL &&
		  strstr(r.err, "oom_kill 1") != NULL,
		  "the OOM killer ended the command (exit %d), and the program "
		  "said:\n%s\nexpected one line that says \"out of memory\" and "
		  "quotes the cgroup's count, \"oom_kill 1\". " SEE_OOM,
		  r.exit_code, ex_clean(r.err));
	/* A SIGKILL that is not the OOM killer's says nothing of memory. */
	ex_run(&r, NULL, (const char *const[]){ "--memory", "32M", "sh", "-c",
						"sh -c 'kill -KILL $$'", NULL });
	cr_expect(r.exit_code == 137 && strstr(r.err, "out of memory") == NULL,
		  "a command killed by a SIGKILL of its own, well within its "
		  "memory, made the program exit %d and say:\n%s\nexpected 137 "
		  "and no word of memory: only the cgroup's counter tells the "
		  "OOM killer's SIGKILL from another. " SEE_OOM, r.exit_code,
		  ex_clean(r.err));
}

/* ---- A fork bomb that stops --------------------------------------------- */

TestSuite(fork_bomb, .init = need_cgroup, .timeout = 20);

static const char *const outside[] = { "--fork-outside", NULL };
/* 300 processes: more than the sandbox's own limit. */
static const char *const bomb[] = { "--pids", "8", "@probe", "--forks", "300",
				    "--hold", NULL };

/* Runs the bomb; checks that the probe reported. */
static void observe_bomb(void)
{
	ex_run(&r, outside, bomb);
	ex_expect_ran(&r, SEE_BOMB);
}

/* Returns true if the bomb stopped at 8, as seen inside and outside. */
static bool stopped_at_8(void)
{
	return run_has(&r, "inside", "forked 7") &&
	       run_has(&r, "inside", "failed fork: Resource temporarily unavailable") &&
	       cgnumber("pids.max") == 8 && cgnumber("pids.current") == 8;
}

Test(fork_bomb, bomb_stops_at_the_limit)
{
	observe_bomb();
	cr_expect(stopped_at_8(),
		  "with --pids 8, the command made %s children (%s), and "
		  "outside its cgroup's pids.max read %s and pids.current %s; "
		  "expected 7 children, then EAGAIN from fork(), and 8 and 8: "
		  "the command is the eighth. " SEE_BOMB,
		  ex_list(&r, "inside", "forked"), ex_list(&r, "inside", "failed"),
		  cgfile("pids.max"), cgfile("pids.current"));
	cr_expect(run_has(&r, "during", "outside fork done") && r.nproc_peak == 0,
		  "while the command was at its limit, the sandbox %s start a "
		  "process of its own (%s): the limit must hold the command's "
		  "cgroup, and leave the rest of the machine be. " SEE_BOMB,
		  run_has(&r, "during", "outside fork done") ? "could" : "could not",
		  ex_get(&r, "during", "outside fork"));
}

Test(fork_bomb, limit_hit_reported)
{
	observe_bomb();
	cr_expect(lines(r.err) == 1 && strstr(r.err, "8") != NULL &&
		  strstr(r.err, "pids.events") != NULL &&
		  strstr(r.err, "max") != NULL && r.exit_code == 3,
		  "the command's fork() was refused at the limit, and the "
		  "program exited %d and said:\n%s\nexpected the command's "
		  "status, 3, and one line that names the limit, 8, and quotes "
		  "the cgroup's count from pids.events (\"max N\"). " SEE_BOMB,
		  r.exit_code, ex_clean(r.err));
}

Test(fork_bomb, cgroup_gone_after)
{
	observe_bomb();
	cr_expect(stopped_at_8() && in_own_cgroup() && run_cgroups_unchanged(&r),
		  "after the bomb (%s), the sandbox's cgroups were:\n%s\nbefore "
		  "it ran:\n%s\nexpected the command in a cgroup of its own, "
		  "stopped at 8, and the cgroup gone once it ended. " SEE_BOMB,
		  stopped_at_8() ? "stopped at 8" : "not stopped at 8",
		  ex_list(&r, "after", "cgroup"), ex_list(&r, "before", "cgroup"));
}

/* ---- Half a CPU --------------------------------------------------------- */

TestSuite(half_cpu, .init = need_cgroup, .timeout = 20);

/* Returns the command's quota and period as "QUOTA PERIOD", read outside
 * from cpu.max (v2) or cpu.cfs_quota_us and cpu.cfs_period_us (v1). */
static const char *quota(void)
{
	static char text[128];
	const char *q = run_cgfile(&r, "cpu.cfs_quota_us");
	const char *p = run_cgfile(&r, "cpu.cfs_period_us");

	if (run_cgfile(&r, "cpu.max") != NULL)
		return cgfile("cpu.max");
	snprintf(text, sizeof(text), "%s %s", q ? q : "(none)", p ? p : "(none)");
	return ex_clean(text);
}

Test(half_cpu, half_a_cpu)
{
	/* Half a CPU for the probe's start too: on a very busy machine that
	 * and the window take longer than most runs may. */
	static const char *const scene[] = { "--cpu-window", "1200",
					     "--time-limit", "8000", NULL };
	long long wall = 0, used = 0, held = 0;
	const char *window;

	ex_run(&r, scene, (const char *const[]){ "--cpu", "50", "@probe", "--spin",
						 NULL });
	ex_expect_ran(&r, SEE_CPU);
	window = run_get(&r, "during", "cpuwindow");
	cr_assert(window != NULL && sscanf(window, "%lld usage %lld throttled %lld",
					   &wall, &used, &held) == 3 &&
		  wall >= 1000000,
		  "outside, the command's CPU time could not be measured over a "
		  "second: %s. " SEE_CPU, ex_clean(window));
	cr_expect(strcmp(quota(), "50000 100000") == 0,
		  "outside, the command's cgroup allows %s of each period "
		  "(quota and period, in microseconds); expected 50000 100000. "
		  SEE_CPU, quota());
	/* Load can only lower the first figure, and raise the second. */
	cr_expect(used * 10 <= wall * 6 && used * 10 >= (used + held) * 4,
		  "outside, over %lld ms the command spun for %lld ms of CPU "
		  "and was held back %lld ms; expected at most 60%% of the time, "
		  "and at least 40%% of the time it could have run (its CPU time "
		  "and the time held back). " SEE_CPU, wall / 1000, used / 1000,
		  held / 1000);
}

/* Another share, written as asked: 90%, which holds the probe back little
 * while it starts, however busy the machine (a quarter of a CPU did not). */
Test(half_cpu, ninety_percent_written)
{
	ex_run(&r, NULL, (const char *const[]){ "--cpu", "90", "@probe", "--hold",
						NULL });
	ex_expect_ran(&r, SEE_CPU);
	cr_expect(strcmp(quota(), "90000 100000") == 0,
		  "with --cpu 90, outside, the command's cgroup allows %s "
		  "(quota and period, in microseconds); expected 90000 100000. "
		  SEE_CPU, quota());
}

/* ---- Clean up after everything ------------------------------------------ */

TestSuite(cleanup, .init = need_cgroup, .timeout = 20);

Test(cleanup, daemon_killed_and_cgroup_removed)
{
	ex_run(&r, NULL, (const char *const[]){ "@probe", "--daemon", NULL });
	cr_expect(r.observed && r.leftovers == 0,
		  "the command left a daemon, and once the program had ended %s "
		  "still ran: without a PID namespace, nothing ends it but the "
		  "program, through its cgroup. " SEE_CLEAN,
		  ex_list(&r, "leftover", "task"));
	cr_expect(r.exit_code == 0 && run_cgroups_unchanged(&r),
		  "the program exited %d and said:\n%s\nand the sandbox's "
		  "cgroups were:\n%s\nbefore it ran:\n%s\nexpected 0, and its "
		  "cgroup gone: a cgroup that holds a process cannot be "
		  "removed (EBUSY). " SEE_CLEAN, r.exit_code, ex_clean(r.err),
		  ex_list(&r, "after", "cgroup"), ex_list(&r, "before", "cgroup"));
}

/* Stopped by sig ("TERM", "INT") while its command and a daemon run, the
 * program must take both with it, remove its cgroup and exit 128 + number. */
static void expect_clean_stop(const char *sig, int number)
{
	const char *const scene[] = { "--signal", sig, NULL };
	const char *orphans;
	char key[32];

	ex_run(&r, scene, (const char *const[]){ "@probe", "--daemon", "--hold",
						 NULL });
	snprintf(key, sizeof(key), "signal %s orphans", sig);
	orphans = run_get(&r, "during", key);
	cr_expect(r.signal == 0 && r.exit_code == 128 + number,
		  "stopped by SIG%s, the program %s %d; expected it to exit "
		  "%d, 128 + %d, once its command is gone and its cgroup too. "
		  SEE_CLEAN, sig, r.signal ? "was killed by signal" : "exited",
		  r.signal ? r.signal : r.exit_code, 128 + number, number);
	cr_expect(orphans != NULL && strcmp(orphans, "0") == 0 && r.leftovers == 0,
		  "stopped by SIG%s, the program left %s processes running. "
		  SEE_CLEAN, sig, orphans ? ex_clean(orphans) : "some");
	cr_expect(run_cgroups_unchanged(&r),
		  "stopped by SIG%s, the program left the sandbox's cgroups "
		  "so:\n%s\nbefore it ran:\n%s\n" SEE_CLEAN, sig,
		  ex_list(&r, "after", "cgroup"), ex_list(&r, "before", "cgroup"));
}

Test(cleanup, removed_after_sigterm)
{
	expect_clean_stop("TERM", 15);
}

Test(cleanup, removed_after_sigint)
{
	expect_clean_stop("INT", 2);
}
