/*
 * test-network.c: chapter 9, a network that works.
 *
 * The observer answers TCP on port 7 in the sandbox's namespace, pings the
 * child's address once the probe has reported, and holds the probe's network
 * namespace until the end, so that a pair the program leaves behind is still
 * there to be seen.  The probe reports, pings the host's end and says a line
 * to the observer over TCP.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"
#include "talk.h"

#define SEE_CHANGE "See chapters/09-network/README.md, 9.2 \"The one change\"."
#define SEE_WHY "See chapters/09-network/README.md, 9.4 \"Why it works\"."
#define SEE_RUN "See chapters/09-network/README.md, 9.3 \"Run it\"."

static const char *const scene[] = { "--serve", "7", "--reach", "203.0.113.2",
				     "--hold-netns", NULL };
static const char *const probe[] = { "@probe", "--ping", "203.0.113.1",
				     "--connect", "203.0.113.1:7", "--hold", NULL };

static struct run r;

/* Runs the program under test with the probe, and checks that it ran. */
static void observe(void)
{
	sandbox_run(&r, program_under_test("network"), scene, probe);
	expect_probe_ran(&r);
}

/* Runs the program under test with args, in an empty scene. */
static void run_with(const char *const args[])
{
	sandbox_run(&r, program_under_test("network"), NULL, args);
	cr_assert(r.observed, "the sandbox did not finish its report; its "
		  "stderr:\n%s", r.err);
}

/* Returns true if the probe ran in a network namespace other than the
 * sandbox's, as the observer saw it. */
static bool new_namespace(void)
{
	const char *inside = run_probe_ns(&r, "net");
	const char *outside = run_get(&r, "before", "ns net");

	return inside != NULL && outside != NULL && strcmp(inside, outside) != 0;
}

/* Returns the number of lines in s. */
static int lines(const char *s)
{
	int n = 0;

	for (; *s != '\0'; s++)
		n += *s == '\n';
	return n;
}

TestSuite(network, .timeout = 15);

Test(network, loopback_up_inside)
{
	observe();
	cr_expect(new_namespace() && run_has(&r, "inside", "link lo up"),
		  "inside, the interfaces are: %s; expected lo, up, in a network "
		  "namespace of the child's own. " SEE_CHANGE,
		  run_list(&r, "inside", "link"));
}

Test(network, child_end_up_with_its_address)
{
	observe();
	cr_expect(new_namespace() && run_has(&r, "inside", "link eth0 up") &&
		  run_has(&r, "inside", "addr eth0 203.0.113.2/30"),
		  "inside, the interfaces are: %s, with the addresses: %s; "
		  "expected eth0, up, with 203.0.113.2/30. " SEE_CHANGE,
		  run_list(&r, "inside", "link"), run_list(&r, "inside", "addr"));
}

Test(network, default_route_through_the_host_end)
{
	observe();
	cr_expect(new_namespace() &&
		  run_has(&r, "inside", "route default via 203.0.113.1 dev eth0"),
		  "inside, the routes are: %s; expected a default route via "
		  "203.0.113.1, the host's end, on eth0. " SEE_WHY,
		  run_list(&r, "inside", "route"));
}

Test(network, host_end_up_with_its_address)
{
	observe();
	cr_expect(run_has(&r, "during", "link veth-host up") &&
		  run_has(&r, "during", "addr veth-host 203.0.113.1/30"),
		  "outside, while the command ran, the interfaces were: %s, with "
		  "the addresses: %s; expected veth-host, up, with 203.0.113.1/30. "
		  SEE_CHANGE, run_list(&r, "during", "link"),
		  run_list(&r, "during", "addr"));
}

Test(network, host_end_answers_from_inside)
{
	observe();
	cr_expect(new_namespace() && run_has(&r, "inside", "done ping 203.0.113.1"),
		  "inside, `ping 203.0.113.1` got no answer (%s). " SEE_RUN,
		  run_list(&r, "inside", "failed"));
	cr_expect(new_namespace() &&
		  run_has(&r, "inside", "heard 203.0.113.1:7 echo " TALK_HELLO),
		  "inside, a TCP connection to 203.0.113.1:7, where the sandbox "
		  "answers, carried no line back (%s; %s). " SEE_RUN,
		  run_list(&r, "inside", "heard"), run_list(&r, "inside", "failed"));
}

Test(network, inside_answers_from_outside)
{
	observe();
	cr_expect(run_has(&r, "inside", "addr eth0 203.0.113.2/30") &&
		  run_find(&r, "during", "addr veth-host 203.0.113.2/") == NULL &&
		  run_has(&r, "during", "reach 203.0.113.2 done"),
		  "from outside, a ping to the child's 203.0.113.2 got no answer "
		  "(%s; inside: %s). " SEE_RUN, run_list(&r, "during", "reach"),
		  run_list(&r, "inside", "addr"));
}

Test(network, pair_removed_after)
{
	observe();
	cr_expect(run_find(&r, "during", "link veth-host ") != NULL,
		  "outside, there was no veth-host while the command ran "
		  "(interfaces: %s). " SEE_CHANGE, run_list(&r, "during", "link"));
	cr_expect(run_find(&r, "after", "link veth-host ") == NULL,
		  "outside, once the program had ended, veth-host was still there "
		  "(interfaces: %s), though the child's namespace was held open. "
		  "The kernel removes a pair with a namespace, but later, in the "
		  "background: the parent deletes its end once the child has "
		  "ended. " SEE_WHY, run_list(&r, "after", "link"));
}

Test(network, address_option_sets_both_ends)
{
	static const char *const args[] = { "--address", "198.51.100.10/24",
					    "@probe", "--hold", NULL };

	sandbox_run(&r, program_under_test("network"), NULL, args);
	expect_probe_ran(&r);
	cr_expect(run_has(&r, "inside", "addr eth0 198.51.100.10/24") &&
		  run_has(&r, "inside", "route default via 198.51.100.1 dev eth0") &&
		  run_has(&r, "during", "addr veth-host 198.51.100.1/24"),
		  "with --address 198.51.100.10/24, inside: %s, routes %s; outside: "
		  "%s; expected 198.51.100.10/24 on eth0, a default route via "
		  "198.51.100.1, and 198.51.100.1/24 on veth-host. " SEE_RUN,
		  run_list(&r, "inside", "addr"), run_list(&r, "inside", "route"),
		  run_list(&r, "during", "addr"));
}

Test(network, command_not_run_without_a_cable)
{
	static const char *const taken[] = { "--link", "veth-host", NULL };
	static const char *const args[] = { "@probe", NULL };

	sandbox_run(&r, program_under_test("network"), taken, args);
	cr_expect(!r.probed && r.exit_code == 1 && lines(r.err) == 1 &&
		  strstr(r.err, "RTM_NEWLINK veth-host") != NULL &&
		  strstr(r.err, "File exists") != NULL,
		  "with an interface named veth-host already there, the program "
		  "exited %d%s and said:\n%s\nexpected one line naming the "
		  "refused request and the kernel's reason, \"File exists\", and "
		  "status 1, without running the command. " SEE_CHANGE,
		  r.exit_code, r.probed ? " after running the command" : "", r.err);
}

Test(network, network_in_use_refused)
{
	static const char *const lan[] = { "--lan", NULL };
	static const char *const args[] = { "--address", "192.0.2.10/24",
					    "@probe", NULL };

	sandbox_run(&r, program_under_test("network"), lan, args);
	cr_expect(!r.probed && r.exit_code == 1 && lines(r.err) == 1 &&
		  strstr(r.err, "192.0.2.1 ") != NULL &&
		  strstr(r.err, "network of this machine's") != NULL &&
		  run_find(&r, "after", "link veth-host ") == NULL,
		  "with --address 192.0.2.10/24 where the sandbox has 192.0.2.0/24 "
		  "on lan0 already, the program exited %d%s and said:\n%s\n"
		  "expected one line saying that 192.0.2.1 is on a network of "
		  "this machine's, status 1, and no cable: its end would take "
		  "192.0.2.1 from lan0's network while it ran. " SEE_RUN,
		  r.exit_code, r.probed ? " after running the command" : "", r.err);
}

/* Fails unless the program, given args, refused them: one line holding
 * each of the words, status 2, no command run. */
static void expect_refused(const char *const args[], const char *what,
			   const char *const words[])
{
	run_with(args);
	cr_expect(r.exit_code == 2 && !r.probed && lines(r.err) == 1,
		  "%s, the program exited %d%s and said:\n%s\nexpected one line "
		  "and status 2, a usage error. " SEE_RUN, what, r.exit_code,
		  r.probed ? " after running the command" : "", r.err);
	for (int i = 0; words[i] != NULL; i++)
		cr_expect(strstr(r.err, words[i]) != NULL,
			  "%s, the program said:\n%s\nexpected a line with "
			  "\"%s\". " SEE_RUN, what, r.err, words[i]);
}

Test(network, address_that_does_not_parse_refused)
{
	expect_refused((const char *const[]){ "--address", "192.0.2/30",
					      "@probe", NULL },
		       "with --address 192.0.2/30",
		       (const char *const[]){ "192.0.2/30", "not an IPv4 address",
					      NULL });
}

Test(network, prefix_too_long_refused)
{
	expect_refused((const char *const[]){ "--address", "192.0.2.2/31",
					      "@probe", NULL },
		       "with --address 192.0.2.2/31",
		       (const char *const[]){ "192.0.2.2/31", "too long", NULL });
}

Test(network, name_too_long_refused)
{
	expect_refused((const char *const[]){ "--veth", "veth-0123456789ab",
					      "@probe", NULL },
		       "with --veth veth-0123456789ab (16 bytes)",
		       (const char *const[]){ "veth-0123456789ab",
					      "not a name for a link", NULL });
}
