/*
 * privileges.c: process.capabilities, process.user, process.apparmorProfile
 * and linux.seccomp (chapter 10, fewer privileges; libcap and libseccomp).
 *
 * Root in a container is root: what keeps it from the machine is what it
 * may no longer do.  The bounding set goes first, while the process still
 * holds CAP_SETPCAP, and bounds what any later exec may gain; then, once it
 * has become process.user, the effective, permitted, inheritable and
 * ambient sets are set from the lists.  The seccomp filter refuses system
 * calls whatever the capabilities say.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <grp.h>
#include <seccomp.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "runtime.h"

/* The five sets of process.capabilities, and libcap's flag for three. */
static const struct { const char *name; int flag; } sets[] = {
	{ "effective", CAP_EFFECTIVE }, { "permitted", CAP_PERMITTED },
	{ "inheritable", CAP_INHERITABLE }, { "bounding", -1 }, { "ambient", -1 },
};

/* libseccomp's actions, by the spec's names; errnoRet completes ERRNO and
 * TRACE. */
static const struct { const char *name; uint32_t action; } actions[] = {
	{ "SCMP_ACT_KILL", SCMP_ACT_KILL }, { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD },
	{ "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS }, { "SCMP_ACT_TRAP", SCMP_ACT_TRAP },
	{ "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0) }, { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0) },
	{ "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW }, { "SCMP_ACT_LOG", SCMP_ACT_LOG },
};

static const struct { const char *name; enum scmp_compare op; } compares[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* Copies name into buf (size bytes) in lower case, without prefix if it
 * starts with it: libcap and libseccomp name "CAP_CHOWN" and
 * "SCMP_ARCH_X86_64" as cap_chown and x86_64.  Returns buf. */
static const char *lower(const char *name, const char *prefix, char *buf, size_t size)
{
	size_t n = 0;

	if (name != NULL && strncmp(name, prefix, strlen(prefix)) == 0)
		name += strlen(prefix);
	for (; name != NULL && name[n] != '\0' && n < size - 1; n++)
		buf[n] = (char)tolower((unsigned char)name[n]);
	buf[n] = '\0';
	return buf;
}

/* Returns the capability called name ("CAP_CHOWN"), or -1 (fail). */
static int cap_named(const char *name)
{
	char buf[64];
	cap_value_t cap;

	if (name == NULL || cap_from_name(lower(name, "", buf, sizeof(buf)), &cap) == -1)
		return fail_msg("config.json: unknown capability %s", name ? name : "(none)");
	return cap;
}

/* Returns true if the capability cap is in the set called set. */
static bool in_set(const json_t *caps, const char *set, int cap)
{
	json_t *name;
	size_t i;

	json_array_foreach(cfg_get(caps, set), i, name)
		if (cap_named(json_string_value(name)) == cap)
			return true;
	return false;
}

/* Returns libseccomp's comparison called name ("SCMP_CMP_EQ"), or -1. */
static int compare_named(const char *name)
{
	for (size_t c = 0; name != NULL && c < ARRAY_SIZE(compares); c++)
		if (strcmp(name, compares[c].name) == 0)
			return compares[c].op;
	return -1;
}

/* Returns the action called name with errnoRet ret (EPERM if none), or
 * (uint32_t)-1 if it is no action this runtime can take. */
static uint32_t action_named(const char *name, const json_t *ret)
{
	int code = json_is_integer(ret) ? (int)json_integer_value(ret) : EPERM;

	for (size_t i = 0; name != NULL && i < ARRAY_SIZE(actions); i++) {
		if (strcmp(name, actions[i].name) != 0)
			continue;
		if (actions[i].action == SCMP_ACT_ERRNO(0))
			return SCMP_ACT_ERRNO(code);
		return actions[i].action == SCMP_ACT_TRACE(0) ? SCMP_ACT_TRACE(code)
							       : actions[i].action;
	}
	return (uint32_t)-1;
}

int privileges_check(const json_t *config)
{
	json_t *process = cfg_get(config, "process"), *seccomp, *rule, *name;
	json_t *caps = cfg_get(process, "capabilities");
	const char *profile = cfg_str(process, "apparmorProfile");
	char on[4] = "N";
	size_t i, k;

	for (i = 0; i < ARRAY_SIZE(sets); i++)
		json_array_foreach(cfg_get(caps, sets[i].name), k, name)
			if (cap_named(json_string_value(name)) == -1)
				return -1;
	if (profile != NULL && *profile != '\0' &&
	    (read_line("/sys/module/apparmor/parameters/enabled", on, sizeof(on)) == -1 ||
	     on[0] != 'Y'))
		return fail_msg("process.apparmorProfile %s: AppArmor is not enabled on "
				"this machine", profile);
	seccomp = cfg_get(cfg_get(config, "linux"), "seccomp");
	if (seccomp == NULL)
		return 0;
	if (action_named(cfg_str(seccomp, "defaultAction"), NULL) == (uint32_t)-1)
		return fail_msg("linux.seccomp: defaultAction %s is not supported",
				cfg_str(seccomp, "defaultAction"));
	json_array_foreach(cfg_get(seccomp, "syscalls"), i, rule) {
		json_t *arg;

		if (action_named(cfg_str(rule, "action"), NULL) == (uint32_t)-1)
			return fail_msg("linux.seccomp: action %s is not supported",
					cfg_str(rule, "action"));
		json_array_foreach(cfg_get(rule, "args"), k, arg)
			if (compare_named(cfg_str(arg, "op")) == -1)
				return fail_msg("linux.seccomp: unknown op %s", cfg_str(arg, "op"));
	}
	return 0;
}

/* Becomes process.user: its groups, gid, uid and umask, keeping the
 * capabilities across the change for privileges_drop() to set. */
static int set_user(const json_t *process)
{
	json_t *user = cfg_get(process, "user"), *g;
	uid_t uid = (uid_t)cfg_int(user, "uid", 0);
	gid_t gid = (gid_t)cfg_int(user, "gid", 0), groups[64];
	size_t i, n = 0;
	char deny[8];

	json_array_foreach(cfg_get(user, "additionalGids"), i, g)
		if (n < ARRAY_SIZE(groups))
			groups[n++] = (gid_t)json_integer_value(g);
	/* In a user namespace whose setgroups is "deny" (chapter 6), the
	 * groups cannot change: that is no error when none are asked for. */
	if (setgroups(n, groups) == -1 &&
	    !(errno == EPERM && n == 0 &&
	      read_line("/proc/self/setgroups", deny, sizeof(deny)) == 0 &&
	      strncmp(deny, "deny", 4) == 0))
		return fail("setgroups");
	if (prctl(PR_SET_KEEPCAPS, 1) == -1)
		return fail("prctl PR_SET_KEEPCAPS");
	if (setresgid(gid, gid, gid) == -1)
		return fail("setresgid %u", gid);
	if (setresuid(uid, uid, uid) == -1)
		return fail("setresuid %u", uid);
	umask((mode_t)cfg_int(user, "umask", 022));
	return 0;
}

int privileges_drop(const json_t *process)
{
	json_t *caps = cfg_get(process, "capabilities");
	const char *profile = cfg_str(process, "apparmorProfile");
	cap_t now;
	int rc = 0;

	/* None listed: the process keeps what it has. */
	for (int cap = 0; caps && cap <= CAP_LAST_CAP && CAP_IS_SUPPORTED(cap); cap++)
		if (!in_set(caps, "bounding", cap) && cap_drop_bound(cap) == -1)
			return fail("drop %s from the bounding set", cap_to_name(cap));
	if (set_user(process) == -1)
		return -1;
	/* AppArmor confines the program from its exec on. */
	if (profile != NULL && *profile != '\0') {
		FILE *attr = fopen("/proc/self/attr/apparmor/exec", "we");

		if (attr == NULL)
			attr = fopen("/proc/self/attr/exec", "we");
		if (attr == NULL || fprintf(attr, "exec %s", profile) < 0 || fclose(attr) == EOF)
			return fail("set the AppArmor profile %s", profile);
	}
	if (caps == NULL)
		return 0;
	now = cap_init();
	if (now == NULL)
		return fail("cap_init");
	for (int cap = 0; cap <= CAP_LAST_CAP && CAP_IS_SUPPORTED(cap); cap++) {
		cap_value_t v = cap;

		for (size_t i = 0; i < 3; i++)
			if (in_set(caps, sets[i].name, cap))
				cap_set_flag(now, sets[i].flag, 1, &v, CAP_SET);
	}
	if (cap_set_proc(now) == -1)
		rc = fail("cap_set_proc");
	cap_free(now);
	if (rc == 0 && cap_reset_ambient() == -1)
		rc = fail("clear the ambient set");
	for (int cap = 0; rc == 0 && cap <= CAP_LAST_CAP && CAP_IS_SUPPORTED(cap); cap++)
		if (in_set(caps, "ambient", cap) && cap_set_ambient(cap, CAP_SET) == -1)
			rc = fail("raise %s in the ambient set", cap_to_name(cap));
	return rc;
}

/* Adds linux.seccomp's architectures and rules to the filter ctx, whose
 * default action is def; returns 0 or -1. */
static int add_rules(scmp_filter_ctx ctx, const json_t *seccomp, uint32_t def)
{
	json_t *rule, *name, *arch;
	size_t i, k;
	int rc;

	json_array_foreach(cfg_get(seccomp, "architectures"), i, arch) {
		char buf[32];
		uint32_t token = seccomp_arch_resolve_name(lower(json_string_value(arch),
								 "SCMP_ARCH_", buf, sizeof(buf)));

		if (token == 0 || ((rc = seccomp_arch_add(ctx, token)) < 0 && rc != -EEXIST))
			return fail_msg("linux.seccomp: architecture %s", json_string_value(arch));
	}
	json_array_foreach(cfg_get(seccomp, "syscalls"), i, rule) {
		uint32_t act = action_named(cfg_str(rule, "action"), json_object_get(rule, "errnoRet"));
		struct scmp_arg_cmp cmp[6];
		unsigned int n = 0;
		json_t *arg;

		if (act == def)
			continue;	/* libseccomp refuses a rule that changes nothing */
		json_array_foreach(cfg_get(rule, "args"), k, arg)
			if (n < 6)
				cmp[n++] = (struct scmp_arg_cmp){
					(unsigned int)cfg_int(arg, "index", 0),
					compare_named(cfg_str(arg, "op")),
					(scmp_datum_t)cfg_int(arg, "value", 0),
					(scmp_datum_t)cfg_int(arg, "valueTwo", 0) };
		json_array_foreach(cfg_get(rule, "names"), k, name) {
			int nr = seccomp_syscall_resolve_name(json_string_value(name));

			/* __NR_SCMP_ERROR: no such call on this machine. */
			if (nr != __NR_SCMP_ERROR &&
			    (rc = seccomp_rule_add_array(ctx, act, nr, n, cmp)) < 0) {
				errno = -rc;
				return fail("linux.seccomp: rule for %s", json_string_value(name));
			}
		}
	}
	return 0;
}

int seccomp_apply(const json_t *seccomp)
{
	uint32_t def = action_named(cfg_str(seccomp, "defaultAction"),
				    json_object_get(seccomp, "defaultErrnoRet"));
	scmp_filter_ctx ctx = seccomp_init(def);
	int rc;

	if (ctx == NULL)
		return fail_msg("seccomp_init: out of memory");
	/* libseccomp sets no_new_privs itself unless told not to: that is
	 * process.noNewPrivileges' to say. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0) < 0)
		rc = fail_msg("seccomp_attr_set SCMP_FLTATR_CTL_NNP");
	else
		rc = add_rules(ctx, seccomp, def);
	if (rc == 0 && (rc = seccomp_load(ctx)) < 0) {
		errno = -rc;
		rc = fail("seccomp_load");
	}
	seccomp_release(ctx);
	return rc;
}
