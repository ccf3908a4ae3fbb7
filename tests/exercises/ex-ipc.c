/*
 * ex-ipc.c: the exercises of chapter 4, the IPC namespace.
 *
 * The observer holds a System V queue, key 0x0b5e0001 (--msgq), and a
 * POSIX queue, /observer, in an mqueue file system on /dev/mqueue
 * (--mqueue); "/" is shared (--rshared), so a mount that leaks is seen.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "exercise.h"

#define SEE_MAIL "See 4.6 \"Exercises\", A message waiting inside (chapters/04-ipc/exercises.md)."
#define SEE_MQ "See 4.6 \"Exercises\", POSIX queues of its own (chapters/04-ipc/exercises.md)."
#define SEE_NEWIPC "See chapters/04-ipc/README.md, 4.2 \"The one change\"."

static struct run r;

TestSuite(mailbox, .timeout = 15);

/* Runs the program with key 0x0b5e0002 and a message; the probe takes it. */
static void observe_mail(void)
{
	static const char *const scene[] = { "--msgq", NULL };
	static const char *const args[] = { "-k", "0x0b5e0002", "-m",
					    "hello-inside", "@probe",
					    "--recv-msg", "0x0b5e0002", "--hold",
					    NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_MAIL);
}

Test(mailbox, command_receives_the_message)
{
	observe_mail();
	cr_expect(run_has(&r, "inside", "msg 0x0b5e0002 hello-inside"),
		  "with -k 0x0b5e0002 -m hello-inside, the command found no "
		  "such message in queue 0x0b5e0002 (%s; queues inside: %s). "
		  "The child creates the queue and sends the message before "
		  "execvp(). " SEE_MAIL, ex_list(&r, "inside", "failed"),
		  ex_list(&r, "inside", "msq"));
}

Test(mailbox, long_message_arrives_whole)
{
	static char text[1001], want[1100];
	const char *const scene[] = { "--msgq", NULL };
	const char *const args[] = { "-k", "0x0b5e0002", "-m", text, "@probe",
				     "--recv-msg", "0x0b5e0002", "--hold", NULL };

	for (int i = 0; i < 1000; i++)
		text[i] = (char)('a' + i % 26);
	snprintf(want, sizeof(want), "msg 0x0b5e0002 %s", text);
	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_MAIL);
	cr_expect(run_has(&r, "inside", want),
		  "with -m and a text of 1000 bytes, the command did not find "
		  "those 1000 bytes in the queue (%s; it found: %.60s...). A "
		  "message is sent whole or refused, never cut: size its "
		  "buffer for the longest text main() accepts. " SEE_MAIL,
		  ex_list(&r, "inside", "failed"),
		  ex_get(&r, "inside", "msg"));
}

Test(mailbox, queue_invisible_outside)
{
	observe_mail();
	cr_expect(run_find(&r, "inside", "msq 0x0b5e0002 ") != NULL,
		  "inside, `ipcs -q` does not list queue 0x0b5e0002 (it "
		  "lists: %s): the child made no queue. " SEE_MAIL,
		  ex_list(&r, "inside", "msq"));
	cr_expect(run_find(&r, "inside", "msq 0x0b5e0001 ") == NULL,
		  "inside, `ipcs -q` lists the parent's queue 0x0b5e0001 "
		  "(all: %s): the child shares its parent's IPC namespace. "
		  "Add CLONE_NEWIPC. " SEE_NEWIPC, ex_list(&r, "inside", "msq"));
	cr_expect(run_find(&r, "after", "msq 0x0b5e0002 ") == NULL,
		  "outside, once the command has ended, `ipcs -q` lists the "
		  "child's queue 0x0b5e0002 (all: %s): it was made in the "
		  "parent's IPC namespace, and stays there. " SEE_NEWIPC,
		  ex_list(&r, "after", "msq"));
}

TestSuite(mqueue, .timeout = 15);

/* Runs the program; the probe creates the POSIX queue /probe-mq. */
static void observe_mq(void)
{
	static const char *const scene[] = { "--mqueue", "--rshared", NULL };
	static const char *const args[] = { "@probe", "--make-mq", "/probe-mq",
					    "--hold", NULL };

	ex_run(&r, scene, args);
	ex_expect_ran(&r, SEE_MQ);
}

Test(mqueue, listing_shows_own_queues)
{
	observe_mq();
	cr_expect(ex_count(&r, "inside", "mount /dev/mqueue mqueue ") >
		  ex_count(&r, "before", "mount /dev/mqueue mqueue ") &&
		  run_find(&r, "inside", "mqueue observer") == NULL,
		  "inside, `ls /dev/mqueue` lists: %s; expected not the "
		  "parent's queue \"observer\". /dev/mqueue shows the queues "
		  "of the IPC namespace that mounted it: mount a fresh mqueue "
		  "there in the child. " SEE_MQ, ex_list(&r, "inside", "mqueue"));
}

Test(mqueue, queues_stay_inside)
{
	observe_mq();
	cr_expect(run_has(&r, "inside", "done make-mq /probe-mq"),
		  "inside, the command could not create a POSIX queue: %s. "
		  SEE_MQ, ex_list(&r, "inside", "failed"));
	cr_expect(run_find(&r, "after", "mqueue probe-mq") == NULL,
		  "outside, once the command has ended, /dev/mqueue lists "
		  "the queue it created (all: %s): it is in the parent's IPC "
		  "namespace. Add CLONE_NEWIPC. " SEE_NEWIPC,
		  ex_list(&r, "after", "mqueue"));
	cr_expect(strcmp(run_list(&r, "before", "mount"),
			 run_list(&r, "after", "mount")) == 0,
		  "outside, once the command has ended, the mount table holds "
		  "mounts it did not have before: %s. Make the child's tree "
		  "private (MS_REC | MS_PRIVATE) before mounting. " SEE_MQ,
		  ex_added(&r, "mount"));
}
