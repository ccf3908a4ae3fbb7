/*
 * ex-net.c: the exercises of chapter 1, the network namespace.
 *
 * lo_up: the probe pings 127.0.0.1 inside; the sandbox's own veth-host
 * must not be there; and with socket() or ioctl() refused, the program must
 * stop and say so.  veth: the probe pings the parent's end of the cable,
 * 10.200.0.1; the observer looks at the parent's end while the probe waits.
 * ip(8) is wrapped (--slow-ip): every call is logged, and `ip link add`
 * takes 300 ms, so a child let go before the cable is there, or a
 * parent that does not wait for ip, is seen every time, not by luck.  The
 * child's network namespace is kept alive until the end (--hold-netns), so
 * that a parent's end left behind is seen too.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"

#define SEE_LO "See 1.6 \"Exercises\", Bring lo up (chapters/01-net/exercises.md)."
#define SEE_VETH "See 1.6 \"Exercises\", Wire the child to its parent (chapters/01-net/exercises.md)."
#define SEE_NEWNET "See chapters/01-net/README.md, 1.2 \"The one change\"."

static struct run r;

TestSuite(lo_up, .timeout = 15);

/* Runs the program with the probe pinging the loopback address. */
static void observe_lo(void)
{
	static const char *const scene[] = { "--veth", NULL };
	static const char *const args[] = { "@probe", "--ping", "127.0.0.1",
					    "--hold", NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_LO);
}

Test(lo_up, lo_is_up_inside)
{
	observe_lo();
	cr_expect(ex_new_namespace(&r, "net") &&
		  run_find(&r, "inside", "link veth-host ") == NULL,
		  "inside, the interfaces are: %s. The sandbox's veth-host is "
		  "there: the child shares its parent's network namespace. "
		  "Keep CLONE_NEWNET. " SEE_NEWNET, ex_list(&r, "inside", "link"));
	cr_expect(run_has(&r, "inside", "link lo up"),
		  "inside, the interfaces are: %s; expected lo, up. A new "
		  "network namespace starts with lo down: set IFF_UP on it in "
		  "the child, before execvp(). " SEE_LO,
		  ex_list(&r, "inside", "link"));
}

Test(lo_up, ping_loopback_inside)
{
	observe_lo();
	cr_expect(ex_new_namespace(&r, "net"),
		  "the command runs in its parent's network namespace, where "
		  "lo is up already: that proves nothing. Keep CLONE_NEWNET. "
		  SEE_NEWNET);
	cr_expect(run_has(&r, "inside", "done ping 127.0.0.1"),
		  "inside, `ping -c1 127.0.0.1` got no answer (%s; interfaces: "
		  "%s). 127.0.0.1 lives on lo, which must be up. " SEE_LO,
		  ex_list(&r, "inside", "failed"), ex_list(&r, "inside", "link"));
}

/* Runs the program with call refused, and checks that it stopped before
 * the command with status 1 and a message naming one of the words. */
static void expect_stopped_by_refused(const char *call, const char *word,
				      const char *other)
{
	const char *const scene[] = { "--deny", call, NULL };
	static const char *const args[] = { "@probe", NULL };

	ex_run(&r, scene, args);
	cr_expect(!r.probed && r.exit_code == 1 &&
		  (strstr(r.err, word) != NULL || strstr(r.err, other) != NULL),
		  "with %s() refused (EPERM), the program exited %d%s and "
		  "said: %s\nexpected it to stop before the command, with "
		  "status 1 and a message that names the call that failed "
		  "(%s). Check every call, as the TODO asks. " SEE_LO, call,
		  r.exit_code, r.probed ? " after running the command" : "",
		  ex_clean(r.err), word);
}

Test(lo_up, socket_failure_stops_the_program)
{
	expect_stopped_by_refused("socket", "socket", "socket");
}

Test(lo_up, ioctl_failure_stops_the_program)
{
	expect_stopped_by_refused("ioctl", "SIOC", "ioctl");
}

TestSuite(veth, .timeout = 15);

/* Runs the program with the probe pinging the parent's end of the cable,
 * ip(8) slow and logged, and the child's namespace held. */
static void run_veth(void)
{
	static const char *const scene[] = { "--slow-ip", "300", "--hold-netns",
					     NULL };
	static const char *const args[] = { "@probe", "--ping", "10.200.0.1",
					    "--hold", NULL };

	ex_run(&r, scene, args);
}

/* run_veth(), and the command must have reported. */
static void observe_veth(void)
{
	run_veth();
	ex_expect_ran(&r, SEE_VETH);
}

/* One call of ip(8), from the wrapper's log. */
struct ip_call {
	long pid, ppid, start, end;	/* end: -1 if it had not ended */
	char args[128];
};

/* Reads the wrapper's log in section ("during": as the command reported;
 * "after": all of it) into calls (at most max); returns how many. */
static int ip_calls(const char *section, struct ip_call calls[], int max)
{
	int n = 0;

	for (size_t i = 0; i < r.nlines; i++) {
		const char *t = r.lines[i].text;
		struct ip_call c = { .end = -1 };
		long pid, rc, ms;
		int len = 0;

		if (strcmp(r.lines[i].section, section) != 0)
			continue;
		if (n < max && sscanf(t, "ip start %ld %ld %ld %n", &c.pid,
				      &c.ppid, &c.start, &len) == 3 && len > 0) {
			snprintf(c.args, sizeof(c.args), "%s", t + len);
			calls[n++] = c;
		} else if (sscanf(t, "ip end %ld %ld %ld", &pid, &rc, &ms) == 3) {
			for (int k = 0; k < n; k++)
				if (calls[k].pid == pid)
					calls[k].end = ms;
		}
	}
	return n;
}

/* Returns the program's pid, as the observer saw it, or -1. */
static long program_pid(void)
{
	const char *pid = run_get(&r, "during", "program");

	return pid == NULL ? -1 : atol(pid);
}

Test(veth, parent_waits_for_every_ip)
{
	struct ip_call calls[32];
	int n, made = 0;
	long parent;

	observe_veth();
	n = ip_calls("during", calls, 32);
	parent = program_pid();
	for (int i = 0; i < n; i++) {
		if (calls[i].ppid != parent)
			continue;
		made += strncmp(calls[i].args, "link add", 8) == 0;
		cr_expect(calls[i].end != -1,
			  "the parent spawned `ip %s` but did not wait for "
			  "it: it had not ended when the command ran. Without "
			  "waitpid() the parent cannot know that it worked, nor "
			  "when the cable is there. " SEE_VETH,
			  ex_clean(calls[i].args));
	}
	cr_expect(made > 0 || run_has(&r, "during", "link veth0 up"),
		  "the parent made no cable: no `ip link add` of the parent's "
		  "ran, and there is no veth0 (interfaces outside: %s). "
		  SEE_VETH, ex_list(&r, "during", "link"));
}

Test(veth, child_waits_for_the_cable)
{
	struct ip_call calls[32];
	long parent, ready = -1;
	int n;

	/* The order first: a child that went on too early usually fails,
	 * and its failure says less than the order does. */
	run_veth();
	n = ip_calls("after", calls, 32);
	parent = atol(ex_get(&r, "after", "program"));
	for (int i = 0; i < n; i++)
		if (calls[i].ppid == parent &&
		    strncmp(calls[i].args, "link add", 8) == 0)
			ready = calls[i].end;
	for (int i = 0; i < n && ready != -1; i++)
		cr_expect(calls[i].ppid == parent || calls[i].start >= ready,
			  "the child ran `ip %s` %ld ms before the parent's "
			  "`ip link add` had made the cable: it went on too "
			  "early. The child must wait for the parent's byte on "
			  "the pipe, and the parent write it only once the "
			  "cable is there. " SEE_VETH, ex_clean(calls[i].args),
			  ready - calls[i].start);
	ex_expect_ran(&r, SEE_VETH);
	cr_expect(run_find(&r, "during", "link veth0 ") != NULL,
		  "outside, there was no veth0 while the command ran "
		  "(interfaces: %s): the parent made no cable for the child "
		  "to wait for. " SEE_VETH, ex_list(&r, "during", "link"));
}

Test(veth, command_not_run_without_a_cable)
{
	static const char *const scene[] = { "--link", "veth0", NULL };
	static const char *const args[] = { "@probe", NULL };

	ex_run(&r, scene, args);
	cr_expect(!r.probed && r.exit_code == 1,
		  "with an interface named veth0 already there, so that the "
		  "parent cannot make the pair, the program exited %d%s; "
		  "expected status 1 and no command run: a child let go "
		  "without its cable would run the command unwired. It "
		  "said: %s " SEE_VETH, r.exit_code,
		  r.probed ? " after running the command" : "", ex_clean(r.err));
}

Test(veth, parent_end_removed_after)
{
	observe_veth();
	cr_expect(run_find(&r, "during", "link veth0 ") != NULL,
		  "outside, there was no veth0 while the command ran "
		  "(interfaces: %s). " SEE_VETH, ex_list(&r, "during", "link"));
	cr_expect(run_find(&r, "after", "link veth0 ") == NULL,
		  "outside, once the program has ended, veth0 is still there "
		  "(interfaces: %s). The kernel removes a pair when the "
		  "namespace of one end goes, but in the background, later: "
		  "the parent must remove its end itself once the child has "
		  "ended (`ip link del veth0`). " SEE_VETH,
		  ex_list(&r, "after", "link"));
}

Test(veth, child_end_is_up_with_its_address)
{
	observe_veth();
	cr_expect(ex_new_namespace(&r, "net"),
		  "the command runs in its parent's network namespace. Keep "
		  "CLONE_NEWNET. " SEE_NEWNET);
	cr_expect(run_has(&r, "inside", "link ceth0 up") &&
		  run_has(&r, "inside", "addr ceth0 10.200.0.2/24"),
		  "inside, the interfaces are: %s, with the addresses: %s; "
		  "expected ceth0, up, with 10.200.0.2/24. The child sets up "
		  "its end once the parent has moved it in. " SEE_VETH,
		  ex_list(&r, "inside", "link"), ex_list(&r, "inside", "addr"));
}

Test(veth, parent_end_is_up_with_its_address)
{
	observe_veth();
	cr_expect(run_has(&r, "during", "link veth0 up") &&
		  run_has(&r, "during", "addr veth0 10.200.0.1/24"),
		  "outside, while the command ran, the interfaces were: %s, "
		  "with the addresses: %s; expected veth0, up, with "
		  "10.200.0.1/24. The parent creates the pair and sets up its "
		  "own end. " SEE_VETH, ex_list(&r, "during", "link"),
		  ex_list(&r, "during", "addr"));
}

Test(veth, ping_across)
{
	observe_veth();
	cr_expect(ex_new_namespace(&r, "net") &&
		  run_has(&r, "inside", "done ping 10.200.0.1"),
		  "inside, `ping -c1 10.200.0.1` got no answer (%s; inside: "
		  "%s). The child must be in a network namespace of its own, "
		  "with both ends up and addressed before it runs the command: "
		  "does it wait for the parent? " SEE_VETH,
		  ex_list(&r, "inside", "failed"), ex_list(&r, "inside", "addr"));
}
