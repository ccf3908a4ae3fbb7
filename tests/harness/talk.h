/*
 * talk.h: traffic between network namespaces, for the probe and the
 * observer: a ping, and a line sent over TCP and sent back.
 *
 * Only ever between namespaces of the sandbox: the addresses come from the
 * tests, which give them to interfaces the sandbox made.
 */
#ifndef TALK_H
#define TALK_H

#include <stddef.h>

/* The line a client sends; the server answers "echo " and the same line. */
#define TALK_HELLO "hello across the cable"

/* Runs "ping -c1 -W1 -n addr" quietly, up to three times while ping is
 * sent but not answered (on a busy machine a veth pair's carrier can take
 * more than a second to come up); returns 0 if it got an answer, -1 with
 * errno set otherwise (EHOSTUNREACH when ping said no). */
int talk_ping(const char *addr);

/* Connects to where ("A.B.C.D:PORT") over TCP, retrying for up to 2 s while
 * the connection is refused (the server may not listen yet), sends
 * TALK_HELLO and a newline, and reads one line back into reply (at most
 * size bytes, without the newline); returns 0, or -1 with errno set. */
int talk_connect(const char *where, char *reply, size_t size);

/* Returns a TCP socket listening on port, on every address of this
 * network namespace, or -1 with errno set. */
int talk_listen(int port);

/* Accepts one connection on sock within ms milliseconds (-1: no limit),
 * reads one line into line (at most size bytes, without the newline) and
 * answers "echo LINE"; returns 0, or -1 with errno set. */
int talk_answer(int sock, int ms, char *line, size_t size);

#endif
