/*
 * test-net.c: chapter 1, the network namespace.
 *
 * The observer gives the sandbox an interface pair, veth-host / veth-peer;
 * the probe runs inside the program, reports, and creates a bridge.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "sandbox.h"

#define SEE "See chapters/01-net/README.md, 1.2 \"The one change\"."

static const char *const scene[] = { "--veth", NULL };
static const char *const probe[] = { "@probe", "--add-bridge", "probe0",
				     "--hold", NULL };

static struct run r;

/* Runs the program under test with the probe, and checks that it ran. */
static void observe(void)
{
	sandbox_run(&r, program_under_test("net"), scene, probe);
	expect_probe_ran(&r);
}

TestSuite(net, .timeout = 15);

/* Returns how many interfaces section lists, but the fallback tunnel
 * devices (tunl0, sit0, gre0...) that the kernel adds to every new network
 * namespace while their modules are loaded, unless the sysctl
 * net.core.fb_tunnels_only_for_init_net says otherwise: they are the
 * namespace's own, down, and lead nowhere. */
static int own_links(const char *section)
{
	static const char *const fallback[] = {
		"tunl0", "gre0", "gretap0", "erspan0", "ip_vti0", "ip6_vti0",
		"sit0", "ip6tnl0", "ip6gre0",
	};
	char key[64];
	int n = run_count(&r, section, "link");

	for (size_t i = 0; i < sizeof(fallback) / sizeof(fallback[0]); i++) {
		snprintf(key, sizeof(key), "link %s", fallback[i]);
		n -= run_count(&r, section, key);
	}
	return n;
}

Test(net, child_sees_only_loopback)
{
	observe();
	cr_expect(own_links("inside") == 1 &&
		  run_find(&r, "inside", "link lo ") != NULL,
		  "inside, the interfaces are: %s; expected lo alone. The "
		  "child still uses its parent's network stack: did you add "
		  "CLONE_NEWNET to the clone flags? " SEE,
		  run_list(&r, "inside", "link"));
}

Test(net, loopback_starts_down)
{
	observe();
	cr_expect(run_has(&r, "inside", "link lo down"),
		  "inside, the interfaces are: %s; expected lo, down, as a new "
		  "network namespace creates it. " SEE,
		  run_list(&r, "inside", "link"));
}

Test(net, host_interface_invisible_inside)
{
	observe();
	cr_expect(run_find(&r, "inside", "link veth-host ") == NULL,
		  "inside, `ip link` still shows veth-host, the sandbox's own "
		  "interface (all: %s): the child shares the host's network "
		  "namespace. Did you add CLONE_NEWNET? " SEE,
		  run_list(&r, "inside", "link"));
}

Test(net, net_namespace_differs)
{
	observe();
	expect_new_namespace(&r, "net", SEE);
}

Test(net, interface_made_inside_stays_inside)
{
	observe();
	cr_expect(run_has(&r, "inside", "done add-bridge probe0"),
		  "the command could not create an interface inside: %s",
		  run_list(&r, "inside", "failed"));
	cr_expect(run_find(&r, "after", "link probe0 ") == NULL,
		  "an interface the command created inside, probe0, is still "
		  "there outside once it has exited (outside: %s): it was "
		  "created in the parent's network namespace. " SEE,
		  run_list(&r, "after", "link"));
}
