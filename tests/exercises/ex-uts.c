/*
 * ex-uts.c: the exercises of chapter 3, the UTS namespace.
 *
 * The sandbox is called "sandbox", with no NIS domain name ("(none)").
 */
#include <criterion/criterion.h>
#include <string.h>

#include "exercise.h"

#define SEE_HOST "See 3.6 \"Exercises\", Name the host (chapters/03-uts/exercises.md)."
#define SEE_DOMAIN "See 3.6 \"Exercises\", The other name (chapters/03-uts/exercises.md)."
#define SEE_NEWUTS "See chapters/03-uts/README.md, 3.2 \"The one change\"."

/* 64 bytes, the most a hostname may hold, and one more. */
#define NAME_64 "a234567890123456789012345678901234567890123456789012345678901234"
#define NAME_65 NAME_64 "5"

static struct run r;

/* Runs the program with --hostname name and the probe. */
static void observe_name(const char *name)
{
	const char *const args[] = { "--hostname", name, "@probe", "--hold",
				     NULL };

	ex_run(&r, NULL, args);
	ex_expect_ran(&r, SEE_HOST);
}

TestSuite(hostname, .timeout = 15);

Test(hostname, child_has_the_given_name)
{
	observe_name("exercise-host");
	cr_expect(strcmp(ex_get(&r, "inside", "hostname"), "exercise-host") == 0,
		  "with --hostname exercise-host, the hostname inside is \"%s\"; "
		  "expected \"exercise-host\". Keep the name from the option "
		  "and set it in the child. " SEE_HOST,
		  ex_get(&r, "inside", "hostname"));
}

Test(hostname, parent_keeps_its_name)
{
	observe_name("exercise-host");
	cr_expect(ex_new_namespace(&r, "uts") &&
		  strcmp(ex_get(&r, "inside", "hostname"), "exercise-host") == 0 &&
		  strcmp(ex_get(&r, "before", "hostname"),
			 ex_get(&r, "after", "hostname")) == 0,
		  "with --hostname exercise-host, the hostname was \"%s\" outside, "
		  "\"%s\" inside, and is \"%s\" outside afterwards; expected "
		  "the outside name unchanged and exercise-host inside, in a "
		  "UTS namespace of the child's own. " SEE_NEWUTS,
		  ex_get(&r, "before", "hostname"),
		  ex_get(&r, "inside", "hostname"),
		  ex_get(&r, "after", "hostname"));
}

Test(hostname, no_option_keeps_the_inherited_name)
{
	static const char *const args[] = { "@probe", "--hold", NULL };

	ex_run(&r, NULL, args);
	ex_expect_ran(&r, SEE_HOST);
	cr_expect(ex_new_namespace(&r, "uts") &&
		  strcmp(ex_get(&r, "inside", "hostname"),
			 ex_get(&r, "before", "hostname")) == 0,
		  "without --hostname, the hostname inside is \"%s\"; expected "
		  "the name the child inherited, \"%s\", in a UTS namespace of "
		  "its own: set a name only when the option gives one. "
		  SEE_HOST, ex_get(&r, "inside", "hostname"),
		  ex_get(&r, "before", "hostname"));
}

Test(hostname, name_of_64_bytes_accepted)
{
	observe_name(NAME_64);
	cr_expect(strcmp(ex_get(&r, "inside", "hostname"), NAME_64) == 0,
		  "with a name of 64 bytes, the most the kernel keeps, the "
		  "hostname inside is \"%s\". Is the length check off by one? "
		  SEE_HOST, ex_get(&r, "inside", "hostname"));
}

Test(hostname, name_of_65_bytes_refused)
{
	/* clone() refused: a check made after it never comes to pass. */
	static const char *const scene[] = { "--deny", "clone", "--deny",
					     "clone3", NULL };
	const char *const args[] = { "--hostname", NAME_65, "@probe", NULL };

	ex_run(&r, scene, args);
	cr_expect(!r.probed && r.exit_code == 2 && r.err[0] != '\0',
		  "with a name of 65 bytes (and clone() refused, so that only "
		  "a check made before it can answer), the program exited "
		  "%d%s and said: %s\nexpected exit status 2, a message that "
		  "says the name is too long, and no command run. Check the "
		  "length while parsing, before any namespace is made. "
		  SEE_HOST, r.exit_code,
		  r.probed ? " after running the command" : "", ex_clean(r.err));
}

TestSuite(domainname, .timeout = 15);

/* Runs the program with a hostname and a domain name, and the probe. */
static void observe_domain(void)
{
	static const char *const args[] = { "--hostname", "exercise-host",
					    "--domainname",
					    "workbook.test", "@probe", "--hold",
					    NULL };

	ex_run(&r, NULL, args);
	ex_expect_ran(&r, SEE_DOMAIN);
}

Test(domainname, child_has_the_given_domain)
{
	observe_domain();
	cr_expect(strcmp(ex_get(&r, "inside", "domainname"), "workbook.test") == 0,
		  "with --domainname workbook.test, `domainname` inside shows \"%s\"; "
		  "expected \"workbook.test\": setdomainname() in the child. "
		  SEE_DOMAIN, ex_get(&r, "inside", "domainname"));
	cr_expect(strcmp(ex_get(&r, "inside", "hostname"), "exercise-host") == 0,
		  "with --hostname exercise-host, the hostname inside is \"%s\"; "
		  "expected \"exercise-host\". " SEE_DOMAIN,
		  ex_get(&r, "inside", "hostname"));
}

Test(domainname, parent_keeps_its_domain)
{
	observe_domain();
	cr_expect(ex_new_namespace(&r, "uts") &&
		  strcmp(ex_get(&r, "inside", "domainname"), "workbook.test") == 0 &&
		  strcmp(ex_get(&r, "before", "domainname"),
			 ex_get(&r, "after", "domainname")) == 0,
		  "with --domainname workbook.test, the domain name was \"%s\" outside, "
		  "\"%s\" inside, and is \"%s\" outside afterwards; expected "
		  "it unchanged outside, in a UTS namespace of the child's own. "
		  SEE_NEWUTS, ex_get(&r, "before", "domainname"),
		  ex_get(&r, "inside", "domainname"),
		  ex_get(&r, "after", "domainname"));
}

Test(domainname, failed_call_named)
{
	static const char *const scene[] = { "--deny", "setdomainname", NULL };
	static const char *const args[] = { "--domainname", "workbook.test",
					    "@probe", NULL };

	ex_run(&r, scene, args);
	cr_expect(!r.probed && r.exit_code == 1 &&
		  strstr(r.err, "setdomainname") != NULL,
		  "with setdomainname() refused (EPERM), the program exited "
		  "%d%s and said: %s\nexpected it to stop before the command, "
		  "with status 1 and a message that names setdomainname, the "
		  "call that failed. " SEE_DOMAIN, r.exit_code,
		  r.probed ? " after running the command" : "", ex_clean(r.err));
}

Test(domainname, domain_of_65_bytes_refused)
{
	static const char *const args[] = { "--domainname", NAME_65, "@probe",
					    NULL };

	ex_run(&r, NULL, args);
	cr_expect(!r.probed && r.exit_code == 2 && r.err[0] != '\0',
		  "with a domain name of 65 bytes, the program exited %d%s and "
		  "said: %s\nexpected exit status 2, a message that says the "
		  "name is too long, and no command run: the kernel keeps 64 "
		  "bytes of a domain name too. " SEE_DOMAIN, r.exit_code,
		  r.probed ? " after running the command" : "", ex_clean(r.err));
}
