/*
 * report.c: print what this process sees of its namespaces (see report.h).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/route.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "report.h"

static const char *const ns_types[] = {
	"cgroup", "ipc", "mnt", "net", "pid", "user", "uts",
};

/* Prints "unreadable WHAT: strerror(errno)". */
static void unreadable(FILE *out, const char *what)
{
	fprintf(out, "unreadable %s: %s\n", what, strerror(errno));
}

/* Prints "PREFIX TYPE INODE dev MAJOR:MINOR" for each namespace of the
 * process at /proc/PID: two processes share a namespace when both agree
 * (namespaces(7)). */
static void print_ns(FILE *out, const char *prefix, const char *pid)
{
	char path[300];
	struct stat st;

	for (size_t i = 0; i < sizeof(ns_types) / sizeof(ns_types[0]); i++) {
		snprintf(path, sizeof(path), "/proc/%s/ns/%s", pid, ns_types[i]);
		if (stat(path, &st) == -1)
			unreadable(out, path);
		else	/* one namespace: the same device and inode */
			fprintf(out, "%s %s %lu dev %u:%u\n", prefix, ns_types[i],
				(unsigned long)st.st_ino, major(st.st_dev),
				minor(st.st_dev));
	}
}

/* Prints "link NAME up|down" for every interface of this network namespace. */
static void print_links(FILE *out)
{
	struct if_nameindex *ifs = if_nameindex();
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (ifs == NULL || sock == -1) {
		unreadable(out, "interfaces");
	} else {
		for (struct if_nameindex *i = ifs; i->if_index != 0; i++) {
			struct ifreq ifr = { 0 };

			snprintf(ifr.ifr_name, IFNAMSIZ, "%s", i->if_name);
			if (ioctl(sock, SIOCGIFFLAGS, &ifr) == -1)
				unreadable(out, i->if_name);
			else
				fprintf(out, "link %s %s\n", i->if_name,
					ifr.ifr_flags & IFF_UP ? "up" : "down");
		}
	}
	if (ifs != NULL)
		if_freenameindex(ifs);
	if (sock != -1)
		close(sock);
}

/* Prints "addr NAME A.B.C.D/PREFIX" for every IPv4 address of this network
 * namespace. */
static void print_addrs(FILE *out)
{
	struct ifaddrs *ifas = NULL;
	char addr[INET_ADDRSTRLEN];

	if (getifaddrs(&ifas) == -1) {
		unreadable(out, "addresses");
		return;
	}
	for (struct ifaddrs *i = ifas; i != NULL; i = i->ifa_next) {
		const struct sockaddr_in *a = (void *)i->ifa_addr;
		const struct sockaddr_in *m = (void *)i->ifa_netmask;

		if (a == NULL || a->sin_family != AF_INET || m == NULL ||
		    inet_ntop(AF_INET, &a->sin_addr, addr, sizeof(addr)) == NULL)
			continue;
		fprintf(out, "addr %s %s/%d\n", i->ifa_name, addr,
			__builtin_popcount(m->sin_addr.s_addr));
	}
	freeifaddrs(ifas);
}

/* Prints "route DEST/PREFIX [via GATEWAY] dev NAME" ("route default ..."
 * for 0.0.0.0/0) for every IPv4 route of the main table, from
 * /proc/net/route, which shows the reader's network namespace. */
static void print_routes(FILE *out)
{
	FILE *in = fopen("/proc/net/route", "re");
	char line[256], name[IFNAMSIZ + 1], dest[INET_ADDRSTRLEN];
	char via[INET_ADDRSTRLEN];
	unsigned int d, g, flags, mask;

	if (in == NULL) {
		unreadable(out, "/proc/net/route");
		return;
	}
	/* Iface Destination Gateway Flags RefCnt Use Metric Mask ...: the
	 * addresses in hex, as they lie in memory. */
	while (fgets(line, sizeof(line), in) != NULL) {
		if (sscanf(line, "%16s %x %x %x %*d %*d %*d %x", name, &d, &g,
			   &flags, &mask) != 5 ||
		    inet_ntop(AF_INET, &d, dest, sizeof(dest)) == NULL ||
		    inet_ntop(AF_INET, &g, via, sizeof(via)) == NULL)
			continue;
		if (d == 0 && mask == 0)
			fprintf(out, "route default");
		else
			fprintf(out, "route %s/%d", dest, __builtin_popcount(mask));
		if (flags & RTF_GATEWAY)
			fprintf(out, " via %s", via);
		fprintf(out, " dev %s\n", name);
	}
	fclose(in);
}

void report_net(FILE *out)
{
	print_links(out);
	print_addrs(out);
	print_routes(out);
}

void report_mountinfo(FILE *out, FILE *in, const char *key)
{
	char *line = NULL;
	size_t cap = 0;

	while (getline(&line, &cap, in) != -1) {
		/* id parent dev root TARGET options [optional...] - FSTYPE ... */
		char *save = NULL, *field, *target = NULL, *fstype = NULL;
		const char *propagation = "private";
		int n = 0, after_dash = 0;

		for (field = strtok_r(line, " \n", &save); field != NULL;
		     field = strtok_r(NULL, " \n", &save), n++) {
			if (n == 4)
				target = field;
			else if (after_dash) {
				fstype = field;
				break;
			} else if (strcmp(field, "-") == 0)
				after_dash = 1;
			else if (n > 5 && strncmp(field, "shared:", 7) == 0)
				propagation = "shared";
			else if (n > 5 && strncmp(field, "master:", 7) == 0 &&
				 strcmp(propagation, "shared") != 0)
				propagation = "slave";
		}
		if (target != NULL && fstype != NULL)
			fprintf(out, "%s %s %s %s\n", key, target, fstype,
				propagation);
	}
	free(line);
}

/* Prints "mount TARGET FSTYPE shared|slave|private" from mountinfo. */
static void print_mounts(FILE *out)
{
	FILE *in = fopen("/proc/self/mountinfo", "re");

	if (in == NULL) {
		unreadable(out, "/proc/self/mountinfo");
		return;
	}
	report_mountinfo(out, in, "mount");
	fclose(in);
}

/* Reads /proc/PID/FILE's first line into buf, without its newline. */
static int read_line(const char *pid, const char *file, char *buf, size_t size)
{
	char path[300];
	FILE *in;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, file);
	in = fopen(path, "re");
	if (in == NULL)
		return -1;
	if (fgets(buf, (int)size, in) == NULL) {
		fclose(in);
		return -1;
	}
	fclose(in);
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Prints "proc PID COMM" for every process this /proc lists. */
static void print_procs(FILE *out)
{
	DIR *dir = opendir("/proc");
	struct dirent *d;
	char comm[64];

	if (dir == NULL) {
		unreadable(out, "/proc");
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		if (read_line(d->d_name, "comm", comm, sizeof(comm)) == 0)
			fprintf(out, "proc %s %s\n", d->d_name, comm);
	}
	closedir(dir);
}

/* Prints "msq KEY ID" for every System V message queue in /proc/sysvipc. */
static void print_msqs(FILE *out)
{
	FILE *in = fopen("/proc/sysvipc/msg", "re");
	char *line = NULL;
	size_t cap = 0;
	long key, id;

	if (in == NULL) {
		unreadable(out, "/proc/sysvipc/msg");
		return;
	}
	while (getline(&line, &cap, in) != -1)
		if (sscanf(line, "%ld %ld", &key, &id) == 2)
			fprintf(out, "msq 0x%08lx %ld\n",
				(unsigned long)key & 0xffffffffUL, id);
	free(line);
	fclose(in);
}

/* Prints "mqueue NAME" for every POSIX message queue listed in /dev/mqueue;
 * nothing when no mqueue file system is mounted there. */
static void print_mqueues(FILE *out)
{
	DIR *dir = opendir("/dev/mqueue");
	struct dirent *d;

	if (dir == NULL) {
		if (errno != ENOENT)
			unreadable(out, "/dev/mqueue");
		return;
	}
	while ((d = readdir(dir)) != NULL)
		if (d->d_name[0] != '.')
			fprintf(out, "mqueue %s\n", d->d_name);
	closedir(dir);
}

void report_view(FILE *out)
{
	struct utsname uts;
	struct stat st;

	fprintf(out, "pid %d\n", getpid());
	fprintf(out, "ppid %d\n", getppid());
	fprintf(out, "uid %u\n", getuid());
	fprintf(out, "gid %u\n", getgid());
	if (uname(&uts) == -1) {
		unreadable(out, "uname");
	} else {
		fprintf(out, "hostname %s\n", uts.nodename);
		fprintf(out, "domainname %s\n", uts.domainname);
	}
	if (stat("/", &st) == -1)
		unreadable(out, "/");
	else
		fprintf(out, "owner / %u %u\n", st.st_uid, st.st_gid);
	print_ns(out, "ns", "self");
	report_net(out);
	print_mounts(out);
	print_procs(out);
	print_msqs(out);
	print_mqueues(out);
}

/* Returns the parent of /proc/PID, or -1 if it cannot be read. */
static pid_t parent_of(const char *pid)
{
	char stat[512], *end;
	pid_t ppid;

	if (read_line(pid, "stat", stat, sizeof(stat)) == -1)
		return -1;
	/* "PID (COMM) STATE PPID ...": COMM may hold spaces and parentheses. */
	end = strrchr(stat, ')');
	if (end == NULL || sscanf(end + 1, " %*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

/* Returns 1 if /proc/PID is root or one of its descendants. */
static int descends_from(const char *pid, pid_t root)
{
	char buf[16];
	pid_t p = atoi(pid);

	for (int depth = 0; p > 1 && depth < 64; depth++) {
		if (p == root)
			return 1;
		snprintf(buf, sizeof(buf), "%d", p);
		p = parent_of(buf);
	}
	return p == root;
}

/* Reads the real uid and gid of /proc/PID from its status file. */
static void read_ids(const char *pid, unsigned *uid, unsigned *gid)
{
	char path[300], line[128];
	FILE *in;

	*uid = *gid = (unsigned)-1;
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	in = fopen(path, "re");
	if (in == NULL)
		return;
	while (fgets(line, sizeof(line), in) != NULL) {
		sscanf(line, "Uid: %u", uid);
		sscanf(line, "Gid: %u", gid);
	}
	fclose(in);
}

/* Prints "taskmap PID uid_map|gid_map INSIDE OUTSIDE COUNT" for each line of
 * the process's id maps, and "tasksetgroups PID allow|deny", as seen from
 * here: how its user namespace translates ids, which only outside shows. */
static void print_maps(FILE *out, const char *pid)
{
	static const char *const files[] = { "uid_map", "gid_map" };
	char line[128];

	for (size_t i = 0; i < 2; i++) {
		char path[300];
		unsigned long inside, outside, count;
		FILE *in;

		snprintf(path, sizeof(path), "/proc/%s/%s", pid, files[i]);
		in = fopen(path, "re");
		if (in == NULL)
			continue;
		while (fgets(line, sizeof(line), in) != NULL)
			if (sscanf(line, "%lu %lu %lu", &inside, &outside,
				   &count) == 3)
				fprintf(out, "taskmap %s %s %lu %lu %lu\n", pid,
					files[i], inside, outside, count);
		fclose(in);
	}
	if (read_line(pid, "setgroups", line, sizeof(line)) == 0)
		fprintf(out, "tasksetgroups %s %s\n", pid, line);
}

void report_tasks(FILE *out, pid_t root)
{
	DIR *dir = opendir("/proc");
	struct dirent *d;
	char comm[64], prefix[300];
	unsigned uid, gid;

	if (dir == NULL) {
		unreadable(out, "/proc");
		return;
	}
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9' ||
		    !descends_from(d->d_name, root) ||
		    read_line(d->d_name, "comm", comm, sizeof(comm)) == -1)
			continue;
		read_ids(d->d_name, &uid, &gid);
		fprintf(out, "task %s %s %u %u\n", d->d_name, comm, uid, gid);
		snprintf(prefix, sizeof(prefix), "taskns %s", d->d_name);
		print_ns(out, prefix, d->d_name);
		print_maps(out, d->d_name);
	}
	closedir(dir);
}
