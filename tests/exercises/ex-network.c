/*
 * ex-network.c: the exercises of chapter 9, a network that works.
 *
 * brief: the observer makes a small network that has settled (--lan), the
 * program lists it, then runs `ip -brief address` as its command, in the
 * same namespace: the two listings must agree, line by line.  rewire: the
 * cable of chapter 1's veth exercise, seen as its tests see it, with ip(8)
 * wrapped and logged (--slow-ip): no call may come.  bridge: container one
 * runs the probe, which says a line over TCP to container two, where a
 * second probe answers; the observer looks at the bridge and its ports,
 * pings the containers' network from outside (it must not answer) and holds
 * container one's namespace to the end.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercise.h"
#include "talk.h"

#define SEE_BRIEF "See 9.6 \"Exercises\", Ask the kernel yourself (chapters/09-network/exercises.md)."
#define SEE_REWIRE "See 9.6 \"Exercises\", Rewire chapter 1 (chapters/09-network/exercises.md)."
#define SEE_BRIDGE "See 9.6 \"Exercises\", A bridge and two containers (chapters/09-network/exercises.md)."

/* The line the brief test's command prints between the two listings. */
#define IP_SAYS "-- ip says"

static struct run r;

/* A listing, one interface a line, each its words: the name (cut at '@',
 * where ip names the other end too), the state, the addresses. */
struct listing {
	int n;
	struct entry {
		char words[16][64];
		int nwords;
	} entry[32];
};

/* Adds the line text to l, split into words. */
static void add_entry(struct listing *l, const char *text)
{
	struct entry *e;
	char copy[1024], *save = NULL;

	if (l->n == 32)
		return;
	e = &l->entry[l->n++];
	e->nwords = 0;
	snprintf(copy, sizeof(copy), "%s", text);
	for (char *w = strtok_r(copy, " \t", &save); w != NULL && e->nwords < 16;
	     w = strtok_r(NULL, " \t", &save)) {
		if (e->nwords == 0)
			w[strcspn(w, "@")] = '\0';
		snprintf(e->words[e->nwords++], sizeof(e->words[0]), "%s", w);
	}
}

/* Runs the program on the settled network, with `ip -brief address` as its
 * command, and splits its output into its own listing and ip's. */
static void run_brief(struct listing *mine, struct listing *ip)
{
	static const char *const scene[] = { "--lan", NULL };
	static const char *const args[] = { "sh", "-c", "echo '" IP_SAYS "'; "
					    "exec ip -brief address", NULL };
	struct listing *into = mine;
	const char *why;

	ex_run(&r, scene, args);
	if ((why = run_limit(&r)) != NULL)
		cr_assert_fail("%s It said:\n%s", ex_clean(why), ex_clean(r.err));
	memset(mine, 0, sizeof(*mine));
	memset(ip, 0, sizeof(*ip));
	for (size_t i = 0; i < r.nlines; i++) {
		if (strcmp(r.lines[i].section, "output") != 0)
			continue;
		if (strcmp(r.lines[i].text, IP_SAYS) == 0)
			into = ip;
		else
			add_entry(into, r.lines[i].text);
	}
	cr_assert(r.observed && r.exit_code == 0 && into == ip && ip->n > 0,
		  "the program, with `ip -brief address` as its command, exited "
		  "%d, and ip %s. It said:\n%s " SEE_BRIEF, r.exit_code,
		  into == ip ? "listed nothing" : "did not run",
		  ex_clean(r.err));
}

/* Returns the words of l that kind says to keep, line by line, joined for
 * a failure message: "name", "state", "ipv4" or "ipv6" (addresses with a
 * '.' or a ':'). */
static const char *column(const struct listing *l, const char *kind)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (f == NULL)
		cr_assert_fail("open_memstream: out of memory");
	for (int i = 0; i < l->n; i++) {
		const struct entry *e = &l->entry[i];

		fprintf(f, "%s%s:", i ? "; " : "", e->nwords ? e->words[0] : "?");
		for (int w = 1; w < e->nwords; w++) {
			bool keep = strcmp(kind, "state") == 0 ? w == 1 :
				    strcmp(kind, "ipv4") == 0 ?
				    w > 1 && strchr(e->words[w], '.') != NULL :
				    strcmp(kind, "ipv6") == 0 ?
				    w > 1 && strchr(e->words[w], ':') != NULL : false;

			if (keep)
				fprintf(f, " %s", e->words[w]);
		}
	}
	fclose(f);
	return ex_clean(out);
}

/* Fails unless the two listings agree in the column kind. */
static void expect_same(const char *kind, const char *what)
{
	struct listing mine, ip;
	const char *a, *b;

	run_brief(&mine, &ip);
	a = column(&mine, kind);
	b = column(&ip, kind);
	cr_expect(strcmp(a, b) == 0,
		  "%s: the program listed\n  %s\nand ip, in the same namespace\n"
		  "  %s " SEE_BRIEF, what, a, b);
}

TestSuite(brief, .timeout = 15);

Test(brief, lists_every_link)
{
	expect_same("name", "the interfaces, in the kernel's order");
}

Test(brief, states_as_ip_shows)
{
	expect_same("state", "the state of each interface (IFLA_OPERSTATE, "
		    "named as ip names it)");
}

Test(brief, ipv4_addresses_as_ip_shows)
{
	expect_same("ipv4", "the IPv4 addresses, as ADDRESS/PREFIX");
}

Test(brief, ipv6_addresses_as_ip_shows)
{
	expect_same("ipv6", "the IPv6 addresses, as ADDRESS/PREFIX");
}

Test(brief, refused_socket_stops_the_program)
{
	static const char *const scene[] = { "--deny", "socket", NULL };
	static const char *const args[] = { "@probe", NULL };

	ex_run(&r, scene, args);
	cr_expect(!r.probed && r.exit_code == 1 && r.err[0] != '\0',
		  "with socket() refused (EPERM), the program exited %d%s and "
		  "said: %s\nexpected it to say which step failed and stop "
		  "before the command, with status 1. " SEE_BRIEF, r.exit_code,
		  r.probed ? " after running the command" : "", ex_clean(r.err));
}

/* Returns true if section reports the interface name up, with addr. */
static bool up_with(const char *section, const char *name, const char *addr)
{
	char link[64], address[96];

	snprintf(link, sizeof(link), "link %s up", name);
	snprintf(address, sizeof(address), "addr %s %s", name, addr);
	return run_has(&r, section, link) && run_has(&r, section, address);
}

TestSuite(rewire, .timeout = 15);

/* Runs the program with the probe pinging the parent's end of the cable,
 * ip(8) slow and logged, and the child's namespace held. */
static void run_rewire(void)
{
	static const char *const scene[] = { "--slow-ip", "300", "--hold-netns",
					     NULL };
	static const char *const args[] = { "@probe", "--ping", "10.200.0.1",
					    "--hold", NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_REWIRE);
}

Test(rewire, child_end_is_up_with_its_address)
{
	run_rewire();
	cr_expect(ex_new_namespace(&r, "net") &&
		  up_with("inside", "ceth0", "10.200.0.2/24"),
		  "inside, the interfaces are: %s, with the addresses: %s; "
		  "expected ceth0, up, with 10.200.0.2/24, in a network "
		  "namespace of the child's own. " SEE_REWIRE,
		  ex_list(&r, "inside", "link"), ex_list(&r, "inside", "addr"));
}

Test(rewire, parent_end_is_up_with_its_address)
{
	run_rewire();
	cr_expect(up_with("during", "veth0", "10.200.0.1/24"),
		  "outside, while the command ran, the interfaces were: %s, with "
		  "the addresses: %s; expected veth0, up, with 10.200.0.1/24. "
		  SEE_REWIRE, ex_list(&r, "during", "link"),
		  ex_list(&r, "during", "addr"));
}

Test(rewire, ping_across)
{
	run_rewire();
	cr_expect(ex_new_namespace(&r, "net") &&
		  run_has(&r, "inside", "done ping 10.200.0.1"),
		  "inside, `ping -c1 10.200.0.1` got no answer (%s; inside: %s). "
		  SEE_REWIRE, ex_list(&r, "inside", "failed"),
		  ex_list(&r, "inside", "addr"));
}

Test(rewire, no_ip_run)
{
	run_rewire();
	cr_expect(run_find(&r, "during", "link veth0 ") != NULL &&
		  ex_count(&r, "after", "ip start ") == 0,
		  "the cable (veth0 outside: %s) must be made with netlink "
		  "requests alone; ip(8) ran %d times: %s. " SEE_REWIRE,
		  run_find(&r, "during", "link veth0 ") ? "there" : "missing",
		  ex_count(&r, "after", "ip start "), ex_list(&r, "after", "ip"));
}

Test(rewire, command_not_run_without_a_cable)
{
	static const char *const scene[] = { "--link", "veth0", NULL };
	static const char *const args[] = { "@probe", NULL };

	ex_run(&r, scene, args);
	cr_expect(!r.probed && r.exit_code == 1,
		  "with an interface named veth0 already there, so that the "
		  "kernel refuses the pair, the program exited %d%s; expected "
		  "status 1 and no command run. It said: %s " SEE_REWIRE,
		  r.exit_code, r.probed ? " after running the command" : "",
		  ex_clean(r.err));
}

Test(rewire, parent_end_removed_after)
{
	run_rewire();
	cr_expect(run_find(&r, "during", "link veth0 ") != NULL &&
		  run_find(&r, "after", "link veth0 ") == NULL,
		  "outside, veth0 was %s while the command ran, and %s once the "
		  "program had ended (interfaces after: %s); the parent deletes "
		  "it (RTM_DELLINK) once the child has ended. " SEE_REWIRE,
		  run_find(&r, "during", "link veth0 ") ? "there" : "missing",
		  run_find(&r, "after", "link veth0 ") ? "still there" : "gone",
		  ex_list(&r, "after", "link"));
}

TestSuite(bridge, .timeout = 15);

/* Runs the program with the probe in container one saying a line to
 * container two, where another probe answers on port 7. */
static void run_bridge(void)
{
	static const char *const scene[] = { "--hold-netns", "--reach",
					     "198.51.100.1", NULL };
	static const char *const args[] = {
		"@probe", "--connect", "198.51.100.2:7", "--hold", "--",
		"sh", "-c", "exec /box/probe --serve 7 >/dev/null", NULL,
	};

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_BRIDGE);
}

Test(bridge, bridge_joins_both_host_ends)
{
	run_bridge();
	cr_expect(run_has(&r, "during", "link br0 up") &&
		  run_has(&r, "during", "link veth1 up") &&
		  run_has(&r, "during", "link veth2 up") &&
		  run_has(&r, "during", "port veth1 br0") &&
		  run_has(&r, "during", "port veth2 br0"),
		  "outside, while the command ran, the interfaces were: %s, and "
		  "the ports of bridges: %s; expected br0, veth1 and veth2, up, "
		  "veth1 and veth2 plugged into br0. " SEE_BRIDGE,
		  ex_list(&r, "during", "link"), ex_list(&r, "during", "port"));
}

Test(bridge, container_end_up_with_its_address)
{
	run_bridge();
	cr_expect(ex_new_namespace(&r, "net") &&
		  up_with("inside", "eth0", "198.51.100.1/24"),
		  "in container one, the interfaces are: %s, with the addresses: "
		  "%s; expected eth0, up, with 198.51.100.1/24, in a network "
		  "namespace of its own. " SEE_BRIDGE,
		  ex_list(&r, "inside", "link"), ex_list(&r, "inside", "addr"));
}

Test(bridge, containers_talk)
{
	run_bridge();
	cr_expect(ex_new_namespace(&r, "net") &&
		  run_has(&r, "inside", "heard 198.51.100.2:7 echo " TALK_HELLO),
		  "container one said a line over TCP to container two, "
		  "198.51.100.2 port 7, and heard: %s (%s); expected \"echo "
		  TALK_HELLO "\". Both eth0 up with their addresses, both host "
		  "ends up and in br0, br0 up? " SEE_BRIDGE,
		  ex_list(&r, "inside", "heard"), ex_list(&r, "inside", "failed"));
}

Test(bridge, host_stays_off_the_network)
{
	run_bridge();
	cr_expect(run_find(&r, "during", "link br0 ") != NULL &&
		  run_find(&r, "during", "addr br0 ") == NULL &&
		  run_find(&r, "during", "addr veth1 ") == NULL &&
		  run_find(&r, "during", "addr veth2 ") == NULL &&
		  run_find(&r, "during", "reach 198.51.100.1 failed") != NULL,
		  "outside, br0 was %s, the addresses were: %s, and a ping to "
		  "container one: %s; expected br0 and the host's ends without an "
		  "address, so that the host is not on the containers' network. "
		  SEE_BRIDGE, run_find(&r, "during", "link br0 ") ? "there" :
		  "missing", ex_list(&r, "during", "addr"),
		  ex_list(&r, "during", "reach"));
	cr_expect(run_count(&r, "inside", "route") == 1 &&
		  run_has(&r, "inside", "route 198.51.100.0/24 dev eth0"),
		  "in container one, the routes are: %s; expected its own "
		  "network's alone, 198.51.100.0/24 on eth0: no way out of it. "
		  SEE_BRIDGE, ex_list(&r, "inside", "route"));
}

Test(bridge, command_not_run_without_a_bridge)
{
	static const char *const scene[] = { "--link", "br0", NULL };
	static const char *const args[] = { "@probe", NULL };

	ex_run(&r, scene, args);
	cr_expect(!r.probed && r.exit_code == 1,
		  "with an interface named br0 already there, so that the kernel "
		  "refuses the bridge, the program exited %d%s; expected status "
		  "1 and no command run. It said: %s " SEE_BRIDGE, r.exit_code,
		  r.probed ? " after running the command" : "", ex_clean(r.err));
}

Test(bridge, everything_removed_after)
{
	run_bridge();
	cr_expect(run_find(&r, "during", "link br0 ") != NULL &&
		  run_find(&r, "during", "link veth1 ") != NULL &&
		  run_find(&r, "after", "link br0 ") == NULL &&
		  run_find(&r, "after", "link veth1 ") == NULL &&
		  run_find(&r, "after", "link veth2 ") == NULL,
		  "outside, while the command ran: %s; once the program had "
		  "ended: %s. Expected br0, veth1 and veth2 while it ran, and "
		  "none of them after: the program deletes the pairs, then the "
		  "bridge. " SEE_BRIDGE, ex_list(&r, "during", "link"),
		  ex_list(&r, "after", "link"));
}
