/*
 * talk.c: traffic between network namespaces (see talk.h).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "talk.h"

extern char **environ;

int talk_ping(const char *addr)
{
	char *const argv[] = { "ping", "-c1", "-W1", "-n", (char *)addr, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int status = 0, rc = 0;

	if (posix_spawn_file_actions_init(&fa) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null",
					     O_WRONLY, 0) != 0 ||
	    posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null",
					     O_WRONLY, 0) != 0)
		return -1;
	for (int tries = 0; tries < 3; tries++) {
		rc = posix_spawnp(&pid, "ping", &fa, NULL, argv, environ);
		if (rc != 0)
			break;
		if (waitpid(pid, &status, 0) == -1) {
			posix_spawn_file_actions_destroy(&fa);
			return -1;
		}
		/* 1: no answer, worth another try; 0 or 2 (an error): done. */
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
			break;
	}
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		errno = rc;
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = EHOSTUNREACH;
		return -1;
	}
	return 0;
}

/* Returns milliseconds on the monotonic clock. */
static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events, or the monotonic clock reaches
 * deadline (-1: no limit); returns 0, or -1 with errno set (ETIMEDOUT). */
static int wait_for(int fd, short events, long long deadline)
{
	struct pollfd p = { fd, events, 0 };
	int left, rc;

	do {
		left = deadline < 0 ? -1 : (int)(deadline - now_ms());
		if (deadline >= 0 && left < 0)
			left = 0;
		rc = poll(&p, 1, left);
	} while (rc == -1 && errno == EINTR);
	if (rc == 0)
		errno = ETIMEDOUT;
	return rc == 1 ? 0 : -1;
}

/* Reads one line from fd before deadline into line (at most size bytes,
 * without its newline); returns 0, or -1 with errno set. */
static int read_line(int fd, long long deadline, char *line, size_t size)
{
	size_t n = 0;
	char c;

	for (;;) {
		ssize_t got;

		if (wait_for(fd, POLLIN, deadline) == -1)
			return -1;
		got = read(fd, &c, 1);
		if (got == -1 && errno == EINTR)
			continue;
		if (got <= 0) {
			if (got == 0)
				errno = ECONNRESET;
			return -1;
		}
		if (c == '\n')
			break;
		if (n + 1 < size)
			line[n++] = c;
	}
	line[n] = '\0';
	return 0;
}

/* Writes all of text to fd; returns 0, or -1 with errno set. */
static int write_all(int fd, const char *text)
{
	size_t len = strlen(text);

	while (len > 0) {
		ssize_t n = write(fd, text, len);

		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads "A.B.C.D:PORT" into *sin; returns 0, or -1 with errno EINVAL. */
static int parse_where(const char *where, struct sockaddr_in *sin)
{
	char addr[INET_ADDRSTRLEN];
	int port, n = 0;

	memset(sin, 0, sizeof(*sin));
	if (sscanf(where, "%15[0-9.]:%d%n", addr, &port, &n) != 2 ||
	    where[n] != '\0' || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	return 0;
}

/* Connects a new socket to sin before deadline; returns it, or -1 with
 * errno set. */
static int connect_once(const struct sockaddr_in *sin, long long deadline)
{
	int sock = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;
	socklen_t len = sizeof(err);

	if (sock == -1)
		return -1;
	if (connect(sock, (const struct sockaddr *)sin, sizeof(*sin)) == 0)
		return sock;
	if (errno != EINPROGRESS ||
	    wait_for(sock, POLLOUT, deadline) == -1 ||
	    getsockopt(sock, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
		err = errno;
	}
	if (err == 0)
		return sock;
	close(sock);
	errno = err;
	return -1;
}

int talk_connect(const char *where, char *reply, size_t size)
{
	long long deadline = now_ms() + 2000;
	struct sockaddr_in sin;
	int sock, rc;

	if (parse_where(where, &sin) == -1)
		return -1;
	for (;;) {
		sock = connect_once(&sin, deadline);
		if (sock != -1 || errno != ECONNREFUSED || now_ms() >= deadline)
			break;
		nanosleep(&(struct timespec){ 0, 20000000 }, NULL);
	}
	if (sock == -1)
		return -1;
	rc = write_all(sock, TALK_HELLO "\n") == -1 ? -1 :
	     read_line(sock, deadline, reply, size);
	close(sock);
	return rc;
}

int talk_listen(int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_port = htons((unsigned short)port),
				   .sin_addr.s_addr = htonl(INADDR_ANY) };
	int sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), on = 1;

	if (sock == -1)
		return -1;
	if (setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(sock, (struct sockaddr *)&sin, sizeof(sin)) == -1 ||
	    listen(sock, 8) == -1) {
		int err = errno;

		close(sock);
		errno = err;
		return -1;
	}
	return sock;
}

int talk_answer(int sock, int ms, char *line, size_t size)
{
	long long deadline = ms < 0 ? -1 : now_ms() + ms;
	char answer[512];
	int peer, rc;

	if (wait_for(sock, POLLIN, deadline) == -1)
		return -1;
	peer = accept4(sock, NULL, NULL, SOCK_CLOEXEC);
	if (peer == -1)
		return -1;
	/* A client gets a second to say its line, whatever the limit. */
	rc = read_line(peer, now_ms() + 1000, line, size);
	if (rc == 0) {
		snprintf(answer, sizeof(answer), "echo %s\n", line);
		rc = write_all(peer, answer);
	}
	close(peer);
	return rc;
}
