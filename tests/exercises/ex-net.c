/*
 * ex-net.c: the exercises of chapter 1, the network namespace.
 *
 * lo_up: the probe pings 127.0.0.1 inside; the sandbox's own veth-host
 * must not be there.  veth: the probe pings the parent's end of the cable,
 * 10.200.0.1; the observer looks at the parent's end while the probe waits.
 */
#include <criterion/criterion.h>
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

TestSuite(veth, .timeout = 15);

/* Runs the program with the probe pinging the parent's end of the cable. */
static void observe_veth(void)
{
	static const char *const args[] = { "@probe", "--ping", "10.200.0.1",
					    "--hold", NULL };

	ex_run(&r, NULL, args);
	ex_expect_ran(&r, SEE_VETH);
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
