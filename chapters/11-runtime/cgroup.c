/*
 * cgroup.c: linux.cgroupsPath and linux.resources (chapter 8, cgroups).
 *
 * A cgroup is a folder; a process joins it by writing its pid to
 * cgroup.procs, and the limits are files beside it.  On cgroup v2 there is
 * one tree, /sys/fs/cgroup, and a controller's files appear in a folder
 * once its parent lists the controller in cgroup.subtree_control.  On v1
 * each controller has a tree of its own (/sys/fs/cgroup/memory, .../pids),
 * and the container gets the same path in each.  The rules on devices are
 * files on v1 (devices.allow, devices.deny); v2 has none, and asks a small
 * BPF program attached to the cgroup at each open and mknod of a device.
 * create calls this before the container's process begins its set-up, so
 * that all it does counts.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <linux/bpf.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <linux/magic.h>

#include "runtime.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* The devices every container may use, whatever the rules before them say
 * (cgroup v1's devices controller): those chapter 7 binds, and terminals. */
static const char *const default_devices[] = {
	"c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm", "c 1:9 rwm",
	"c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
};

/* Writes text to DIR/FILE; returns 0 or -1 (fail). */
static int put(const char *dir, const char *file, const char *text)
{
	char path[4300];

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return write_file(path, text) == -1 ? fail("write %s to `%s`", text, path) : 0;
}

/* Writes the integer at key of obj to DIR/FILE, if there is one; -1
 * (unlimited) as "max" where the file takes that word, else as -1. */
static int put_int(const char *dir, const char *file, const json_t *obj,
		   const char *key, long long minus, bool v2)
{
	char text[32];
	long long v;

	if (!json_is_integer(json_object_get(obj, key)))
		return 0;
	v = json_integer_value(json_object_get(obj, key)) - minus;
	if (v < 0 && v2)
		snprintf(text, sizeof(text), "max");
	else
		snprintf(text, sizeof(text), "%lld", v < 0 ? -1 : v);
	return put(dir, file, text);
}

/* Returns true if the folder at path is the root of a cgroup file system
 * of the given magic number. */
static bool is_cgroup(const char *path, long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (long)st.f_type == magic;
}

/* Copies cpuset.cpus and cpuset.mems from the parent of dir, where they
 * are empty: v1 refuses a task into a cpuset that has no CPU. */
static void fill_cpuset(const char *dir)
{
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	char path[4300], text[256];

	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		if (read_line(path, text, sizeof(text)) == 0 && text[0] != '\n')
			continue;
		snprintf(path, sizeof(path), "%s/../%s", dir, files[i]);
		if (read_line(path, text, sizeof(text)) == 0)
			put(dir, files[i], text);
	}
}

/* Makes every folder of path under top (mkdir -p); on v1's cpuset tree,
 * fills each new folder's CPUs and memory nodes from its parent's. */
static int make_path(const char *top, const char *path, bool cpuset)
{
	char dir[4200];

	snprintf(dir, sizeof(dir), "%s%s", top, path);
	for (char *p = dir + strlen(top) + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) == -1 && errno != EEXIST)
			return fail("mkdir `%s`", dir);
		if (cpuset)
			fill_cpuset(dir);
		*p = c;
		if (c == '\0')
			return 0;
	}
}

/* v2: turns on, in every folder above the container's, the controllers
 * that res asks for. */
static int enable_v2(const char *path, const json_t *res)
{
	static const char *const wanted[][2] = {
		{ "memory", "+memory" }, { "pids", "+pids" }, { "cpu", "+cpu" },
	};
	const json_t *cpu = cfg_get(res, "cpu");
	char dir[4200], above[4200];

	snprintf(dir, sizeof(dir), "%s%s", CGROUP_ROOT, path);
	for (char *p = dir + strlen(CGROUP_ROOT); p != NULL; p = strchr(p + 1, '/')) {
		snprintf(above, sizeof(above), "%.*s", (int)(p - dir), dir);
		for (size_t i = 0; i < ARRAY_SIZE(wanted); i++)
			if (json_object_get(res, wanted[i][0]) &&
			    put(above, "cgroup.subtree_control", wanted[i][1]) == -1)
				return -1;
		if ((cfg_get(cpu, "cpus") || cfg_get(cpu, "mems")) &&
		    put(above, "cgroup.subtree_control", "+cpuset") == -1)
			return -1;
	}
	return 0;
}

/* Writes cpu.cpus and cpu.mems of res to dir's cpuset files. */
static int put_cpuset(const char *dir, const json_t *res)
{
	const json_t *cpu = cfg_get(res, "cpu");

	return (cfg_str(cpu, "cpus") && put(dir, "cpuset.cpus", cfg_str(cpu, "cpus")) == -1) ||
	       (cfg_str(cpu, "mems") && put(dir, "cpuset.mems", cfg_str(cpu, "mems")) == -1) ?
	       -1 : 0;
}

/* v2: the limits of res in dir. */
static int limit_v2(const char *dir, const json_t *res)
{
	json_t *mem = cfg_get(res, "memory"), *cpu = cfg_get(res, "cpu");
	char text[64];

	if (put_int(dir, "memory.max", mem, "limit", 0, true) == -1 ||
	    put_int(dir, "memory.low", mem, "reservation", 0, true) == -1 ||
	    /* The spec's swap is memory and swap together; v2's, swap alone. */
	    put_int(dir, "memory.swap.max", mem, "swap",
		    cfg_int(mem, "swap", -1) < 0 ? 0 : cfg_int(mem, "limit", 0), true) == -1 ||
	    put_int(dir, "pids.max", cfg_get(res, "pids"), "limit", 0, true) == -1)
		return -1;
	if (cfg_get(cpu, "shares")) {
		/* v1's shares 2-262144 onto v2's weights 1-10000. */
		long long shares = cfg_int(cpu, "shares", 1024);

		snprintf(text, sizeof(text), "%lld", 1 + ((shares - 2) * 9999) / 262142);
		if (put(dir, "cpu.weight", text) == -1)
			return -1;
	}
	if (cfg_get(cpu, "quota") || cfg_get(cpu, "period")) {
		long long quota = cfg_int(cpu, "quota", -1);

		if (quota > 0)
			snprintf(text, sizeof(text), "%lld %lld", quota, cfg_int(cpu, "period", 100000));
		else
			snprintf(text, sizeof(text), "max %lld", cfg_int(cpu, "period", 100000));
		if (put(dir, "cpu.max", text) == -1)
			return -1;
	}
	return put_cpuset(dir, res);
}

/* v1: the limits of res that belong to the controller tree named ctrl. */
static int limit_v1(const char *ctrl, const char *dir, const json_t *res)
{
	json_t *mem = cfg_get(res, "memory"), *cpu = cfg_get(res, "cpu"), *rule;
	size_t i;

	if (strcmp(ctrl, "memory") == 0)
		return put_int(dir, "memory.limit_in_bytes", mem, "limit", 0, false) ||
		       put_int(dir, "memory.soft_limit_in_bytes", mem, "reservation", 0, false) ||
		       put_int(dir, "memory.memsw.limit_in_bytes", mem, "swap", 0, false) ? -1 : 0;
	if (strcmp(ctrl, "pids") == 0)
		return put_int(dir, "pids.max", cfg_get(res, "pids"), "limit", 0, true);
	/* "cpu", or "cpu,cpuacct" mounted together; not cpuacct alone. */
	if (strcmp(ctrl, "cpu") == 0 || strcmp(ctrl, "cpu,cpuacct") == 0)
		return put_int(dir, "cpu.shares", cpu, "shares", 0, false) ||
		       put_int(dir, "cpu.cfs_period_us", cpu, "period", 0, false) ||
		       put_int(dir, "cpu.cfs_quota_us", cpu, "quota", 0, false) ? -1 : 0;
	if (strcmp(ctrl, "cpuset") == 0)
		return put_cpuset(dir, res);
	if (strcmp(ctrl, "devices") != 0)
		return 0;
	/* The rules in order, then what every container needs. */
	json_array_foreach(cfg_get(res, "devices"), i, rule) {
		char text[64], major[16] = "*", minor[16] = "*";
		const char *type = cfg_str(rule, "type") ? cfg_str(rule, "type") : "a";

		if (cfg_int(rule, "major", -1) >= 0)
			snprintf(major, sizeof(major), "%lld", cfg_int(rule, "major", 0));
		if (cfg_int(rule, "minor", -1) >= 0)
			snprintf(minor, sizeof(minor), "%lld", cfg_int(rule, "minor", 0));
		snprintf(text, sizeof(text), "%s %s:%s %s", type, major, minor,
			 cfg_str(rule, "access") ? cfg_str(rule, "access") : "rwm");
		if (put(dir, cfg_bool(rule, "allow") ? "devices.allow" : "devices.deny",
			strcmp(type, "a") == 0 ? "a" : text) == -1)
			return -1;
	}
	for (i = 0; i < ARRAY_SIZE(default_devices); i++)
		if (put(dir, "devices.allow", default_devices[i]) == -1)
			return -1;
	return 0;
}

/* Adds to the BPF program p the instructions of one device rule: TYPE
 * ('a', 'c' or 'b'), MAJOR:MINOR (-1 for *), ACCESS ("rwm" or part of it),
 * allowed or not; the request's type is in r3, its access in r2, its
 * major in r4 and its minor in r5.  An allowing rule holds a request all
 * of whose access it lists, a denying one a request of any of it; the
 * first rule that holds it says.  Returns the new length. */
static size_t add_rule(struct bpf_insn *p, size_t n, char type, long major, long minor,
		       const char *access, bool allow)
{
	int acc = (strchr(access, 'm') ? BPF_DEVCG_ACC_MKNOD : 0) |
		  (strchr(access, 'r') ? BPF_DEVCG_ACC_READ : 0) |
		  (strchr(access, 'w') ? BPF_DEVCG_ACC_WRITE : 0);
	struct bpf_insn rule[8];
	size_t k = 0;

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), \
	.src_reg = (s), .off = (o), .imm = (i) })
#define SKIP 0x7fff	/* to the next rule: set below, once its length is known */
	if (type != 'a')
		rule[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 3, 0, SKIP,
				 type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
	if (major >= 0)
		rule[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 4, 0, SKIP, (int)major);
	if (minor >= 0)
		rule[k++] = INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, SKIP, (int)minor);
	if (acc != 7) {
		rule[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 2, 0, 0);
		rule[k++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, 6, 0, 0, allow ? ~acc & 7 : acc);
		rule[k++] = INSN(BPF_JMP | (allow ? BPF_JNE : BPF_JEQ) | BPF_K, 6, 0, SKIP, 0);
	}
	rule[k++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, allow);
	rule[k++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (size_t i = 0; i < k; i++) {
		if (rule[i].off == SKIP)
			rule[i].off = (short)(k - i - 1);
		p[n++] = rule[i];
	}
	return n;
}

/* v2: linux.resources.devices, which v2 has no files for: a BPF program
 * that the kernel asks at each open and mknod of a device in the cgroup
 * dir, holding the rules (the last first: the last that matches says) and
 * before them the devices every container has.  Returns 0 or -1. */
static int devices_v2(const char *dir, const json_t *res)
{
	const json_t *rules = cfg_get(res, "devices"), *rule;
	size_t n = 0, count = json_array_size(rules) + ARRAY_SIZE(default_devices);
	struct bpf_insn *p = calloc(8 * count + 8, sizeof(*p));
	union bpf_attr attr = { .prog_type = BPF_PROG_TYPE_CGROUP_DEVICE };
	char major[16], minor[16], access[8];
	int prog, cg, rc = 0;
	bool ended = false;

	if (p == NULL)
		return fail("linux.resources.devices");
	/* r2: the access asked, r3: the type, r4: major, r5: minor. */
	p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 2, 1, 0, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
	p[n++] = INSN(BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, 0xffff);
	p[n++] = INSN(BPF_ALU64 | BPF_RSH | BPF_K, 2, 0, 0, 16);
	p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 4, 1, 4, 0);
	p[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, 5, 1, 8, 0);
	for (size_t i = 0; i < ARRAY_SIZE(default_devices); i++) {
		sscanf(default_devices[i], "c %15[^:]:%15s %7s", major, minor, access);
		n = add_rule(p, n, 'c', strtol(major, NULL, 10), *minor == '*' ? -1 :
			     strtol(minor, NULL, 10), access, true);
	}
	for (size_t i = json_array_size(rules); i-- > 0 && !ended;) {
		const char *type = cfg_str(rule = json_array_get(rules, i), "type");
		const char *acc = cfg_str(rule, "access") ? cfg_str(rule, "access") : "rwm";

		n = add_rule(p, n, type ? type[0] : 'a', cfg_int(rule, "major", -1),
			     cfg_int(rule, "minor", -1), acc, cfg_bool(rule, "allow"));
		/* One that holds every request ends the program: the kernel
		 * refuses instructions that no path reaches. */
		ended = (type == NULL || type[0] == 'a') && cfg_int(rule, "major", -1) < 0 &&
			cfg_int(rule, "minor", -1) < 0 && strchr(acc, 'r') && strchr(acc, 'w') &&
			strchr(acc, 'm');
	}
	if (!ended) {	/* no rule said: denied */
		p[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0);
		p[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	attr.insns = (uintptr_t)p;
	attr.insn_cnt = (unsigned int)n;
	attr.license = (uintptr_t)"GPL";
	prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &attr, sizeof(attr));
	free(p);
	if (prog == -1)
		return fail("load the device rules of `%s` (bpf)", dir);
	cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	attr = (union bpf_attr){ .target_fd = cg, .attach_bpf_fd = prog,
				 .attach_type = BPF_CGROUP_DEVICE };
	if (cg == -1 || syscall(SYS_bpf, BPF_PROG_ATTACH, &attr, sizeof(attr)) == -1)
		rc = fail("attach the device rules to `%s` (bpf)", dir);
	if (cg != -1)
		close(cg);
	close(prog);	/* the cgroup holds it now */
	return rc;
}

/* Returns the cgroup path to use: linux.cgroupsPath, or /NAME-ID when
 * there is none but there are limits (one folder, which delete removes
 * whole); NULL for no cgroup at all. */
static const char *cgroup_path(const json_t *lx, const char *id, char *buf, size_t size)
{
	const char *path = cfg_str(lx, "cgroupsPath");

	if (path == NULL && cfg_get(lx, "resources") == NULL)
		return NULL;
	if (path == NULL)
		snprintf(buf, size, "/%s-%s", program_invocation_short_name, id);
	else
		snprintf(buf, size, "%s%s", path[0] == '/' ? "" : "/", path);
	return buf;
}

/* Makes the folder path in the tree top (CGROUP_ROOT on v2, when name is
 * NULL; on v1 the tree of that name), adds it to dirs, sets there the
 * limits of res and moves pid in.  Returns 0 or -1. */
static int enter(json_t *dirs, const char *top, const char *name, const char *path,
		 const json_t *res, pid_t pid)
{
	char dir[4200], text[32];

	if (snprintf(dir, sizeof(dir), "%s%s", top, path) >= (int)sizeof(dir))
		return fail_msg("cgroupsPath %s: too long", path);
	json_array_append_new(dirs, json_string(dir));
	snprintf(text, sizeof(text), "%d", pid);
	if (make_path(top, path, name != NULL && strcmp(name, "cpuset") == 0) == -1 ||
	    (name == NULL ? enable_v2(path, res) == -1 || limit_v2(dir, res) == -1 ||
			    (cfg_get(res, "devices") && devices_v2(dir, res) == -1) :
			    limit_v1(name, dir, res) == -1))
		return -1;
	return put(dir, "cgroup.procs", text);
}

json_t *cgroup_enter(const json_t *config, const char *id, pid_t pid)
{
	json_t *lx = cfg_get(config, "linux"), *res = cfg_get(lx, "resources");
	json_t *dirs = json_array();
	char buf[4096], tree[4200];
	const char *path = cgroup_path(lx, id, buf, sizeof(buf));
	struct dirent *e;
	int rc = 0;
	DIR *top;

	if (path == NULL)
		return dirs;
	if (strchr(path, ':') != NULL)
		rc = fail_msg("cgroupsPath %s is systemd's slice:prefix:name; this runtime "
			      "makes its cgroups itself (--cgroup-manager=cgroupfs)", path);
	else if (is_cgroup(CGROUP_ROOT, CGROUP2_SUPER_MAGIC))
		rc = enter(dirs, CGROUP_ROOT, NULL, path, res, pid);
	/* v1: one tree per controller; the same path in each. */
	else if ((top = opendir(CGROUP_ROOT)) == NULL)
		rc = fail("open `%s`", CGROUP_ROOT);
	else {
		while (rc == 0 && (e = readdir(top)) != NULL) {
			snprintf(tree, sizeof(tree), "%s/%s", CGROUP_ROOT, e->d_name);
			if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
			    is_cgroup(tree, CGROUP_SUPER_MAGIC))
				rc = enter(dirs, tree, e->d_name, path, res, pid);
		}
		closedir(top);
		if (rc == 0 && json_array_size(dirs) == 0)
			rc = fail_msg("no cgroup file system under %s", CGROUP_ROOT);
	}
	if (rc == 0)
		return dirs;
	cgroup_remove(dirs);
	json_decref(dirs);
	return NULL;
}

int cgroup_kill(const json_t *dirs, int sig)
{
	char path[4200];
	json_t *d;
	size_t i;
	int pid;

	json_array_foreach(dirs, i, d) {
		snprintf(path, sizeof(path), "%s/cgroup.procs", json_string_value(d));
		FILE *in = fopen(path, "re");

		if (in == NULL)
			continue;
		while (fscanf(in, "%d", &pid) == 1)
			if (kill(pid, sig) == -1 && errno != ESRCH) {
				fclose(in);
				return fail("kill %d", pid);
			}
		fclose(in);
		return 0;	/* every tree holds the same processes */
	}
	return fail_msg("kill --all needs the container's cgroup, and it has none");
}

int cgroup_remove(const json_t *dirs)
{
	json_t *d;
	size_t i;

	json_array_foreach(dirs, i, d) {
		const char *dir = json_string_value(d);

		/* Processes leave a cgroup as they exit: give them a moment. */
		for (int tries = 0; rmdir(dir) == -1 && errno != ENOENT; tries++) {
			if (errno != EBUSY || tries == 100)
				return fail("rmdir `%s`", dir);
			nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
		}
	}
	return 0;
}

int cgroup_mount(int rootfd, const char *dest, unsigned long flags)
{
	char line[2048], ctrls[256], path[2048];
	const char *at = inside(rootfd, dest, false), *name;
	FILE *in;
	int rc = 0;

	if (at == NULL)
		return -1;
	if (is_cgroup(CGROUP_ROOT, CGROUP2_SUPER_MAGIC))
		return mount("cgroup2", at, "cgroup2", flags, NULL) == -1 ?
		       fail("mount cgroup2 on %s", dest) : 0;
	/* v1: a tmpfs holding, for each tree, this process's own folder. */
	if (mount("tmpfs", at, "tmpfs", flags & ~MS_RDONLY, "mode=755") == -1)
		return fail("mount tmpfs on %s", dest);
	in = fopen("/proc/self/cgroup", "re");
	if (in == NULL)
		return fail("read /proc/self/cgroup");
	while (rc == 0 && fgets(line, sizeof(line), in) != NULL) {
		char host[4200], sub[4200];

		/* "N:CONTROLLERS:PATH"; v2's line, "0::PATH", names none. */
		if (sscanf(line, "%*d:%255[^:]:%2047[^\n]", ctrls, path) != 2)
			continue;
		name = strncmp(ctrls, "name=", 5) == 0 ? ctrls + 5 : ctrls;
		snprintf(host, sizeof(host), "%s/%s%s", CGROUP_ROOT, name, path);
		snprintf(sub, sizeof(sub), "%s/%s", dest, name);
		if ((at = inside(rootfd, sub, false)) == NULL)
			rc = -1;
		else if (mount(host, at, NULL, MS_BIND, NULL) == -1)
			rc = fail("mount --bind %s on %s", host, sub);
		/* The remount is of the new mount: found again by its path. */
		else if ((flags & MS_RDONLY) &&
			 ((at = inside(rootfd, sub, false)) == NULL ||
			  mount(NULL, at, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY |
				(flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC)), NULL) == -1))
			rc = fail("make %s read-only", sub);
	}
	fclose(in);
	if (rc == 0 && (flags & MS_RDONLY) &&
	    ((at = inside(rootfd, dest, false)) == NULL ||
	     mount(NULL, at, NULL, MS_REMOUNT | MS_RDONLY | (flags & ~MS_RDONLY), "mode=755") == -1))
		rc = fail("make %s read-only", dest);
	return rc;
}
