/*
 * config.c: the bundle's config.json, read with jansson (chapter 11).
 *
 * The spec asks a runtime to ignore the properties it does not know (a
 * newer spec may add some), and to fail on what it knows but cannot do.
 * So this file holds the list of what the spec defines and this runtime
 * refuses: each is an error when it is there, naming the property, rather
 * than a setting silently left out.
 */
#define _GNU_SOURCE
#include "runtime.h"

/* What the spec defines and this runtime does not do, as paths into
 * config.json; each is refused when present with a value that asks for
 * something (not null, false, 0 or empty). */
static const char *const unsupported[] = {
	"hooks", "solaris", "windows", "vm", "zos",
	"process.selinuxLabel", "process.ioPriority", "process.scheduler",
	"process.execCPUAffinity", "process.commandLine",
	"linux.timeOffsets", "linux.intelRdt", "linux.mountLabel",
	"linux.personality", "linux.resources.blockIO",
	"linux.resources.hugepageLimits", "linux.resources.network",
	"linux.resources.rdma", "linux.resources.unified",
	"linux.resources.memory.kernel", "linux.resources.memory.kernelTCP",
	"linux.resources.memory.swappiness",
	"linux.resources.memory.disableOOMKiller",
	"linux.resources.cpu.realtimeRuntime",
	"linux.resources.cpu.realtimePeriod", "linux.resources.cpu.idle",
	"linux.seccomp.listenerPath", "linux.seccomp.listenerMetadata",
	"linux.seccomp.flags",
};

const char *cfg_str(const json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

long long cfg_int(const json_t *obj, const char *key, long long dflt)
{
	json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? json_integer_value(v) : dflt;
}

bool cfg_bool(const json_t *obj, const char *key)
{
	return json_is_true(json_object_get(obj, key));
}

json_t *cfg_get(const json_t *obj, const char *key)
{
	json_t *v = json_object_get(obj, key);

	return json_is_null(v) ? NULL : v;
}

/* Returns the value at a dotted path of config, or NULL. */
static json_t *at(const json_t *config, const char *path)
{
	char copy[256], *save = NULL;
	json_t *v = (json_t *)config;

	snprintf(copy, sizeof(copy), "%s", path);
	for (char *k = strtok_r(copy, ".", &save); k != NULL && v != NULL;
	     k = strtok_r(NULL, ".", &save))
		v = json_object_get(v, k);
	return v;
}

/* Returns true if v asks for something: not null, false, 0, "" or empty. */
static bool asks(const json_t *v)
{
	if (v == NULL)
		return false;
	switch (json_typeof(v)) {
	case JSON_NULL: case JSON_FALSE: return false;
	case JSON_STRING: return json_string_length(v) > 0;
	case JSON_INTEGER: return json_integer_value(v) != 0;
	case JSON_ARRAY: return json_array_size(v) > 0;
	case JSON_OBJECT: return json_object_size(v) > 0;
	default: return true;
	}
}

/* Refuses a configuration this runtime cannot run as it asks: an
 * ociVersion other than 1.0.x or 1.1.x (a suffix such as "-dev" allowed),
 * what it does not support, no root or program.  Returns 0 or -1. */
static int check(const json_t *config)
{
	const char *version = cfg_str(config, "ociVersion");
	json_t *process = cfg_get(config, "process"), *args = cfg_get(process, "args");
	const char *cwd = cfg_str(process, "cwd");
	int minor, patch, end = 0;

	if (version == NULL)
		return fail_msg("config.json: no ociVersion");
	if (sscanf(version, "1.%d.%d%n", &minor, &patch, &end) != 2 || minor > 1 ||
	    (version[end] != '\0' && version[end] != '-' && version[end] != '+'))
		return fail_msg("config.json: ociVersion %s is not supported: "
				"this runtime follows the spec's 1.0 and 1.1", version);
	for (size_t i = 0; i < ARRAY_SIZE(unsupported); i++)
		if (asks(at(config, unsupported[i])))
			return fail_msg("config.json: %s is not supported by this runtime",
					unsupported[i]);
	if (cfg_str(cfg_get(config, "root"), "path") == NULL)
		return fail_msg("config.json: no root.path");
	if (!json_is_array(args) || json_array_size(args) == 0 ||
	    !json_is_string(json_array_get(args, 0)))
		return fail_msg("config.json: process.args must name a program");
	if (cwd == NULL || cwd[0] != '/')
		return fail_msg("config.json: process.cwd must be an absolute path");
	return privileges_check(config);
}

json_t *config_load(const char *bundle)
{
	char path[4096];
	json_error_t err;
	json_t *config;

	snprintf(path, sizeof(path), "%s/config.json", bundle);
	config = json_load_file(path, JSON_REJECT_DUPLICATES, &err);
	if (config == NULL && err.line == -1 && errno != 0)
		fail("read `%s`", path);
	else if (config == NULL)
		fail_msg("`%s`, line %d column %d: %s", path, err.line, err.column, err.text);
	else if (!json_is_object(config))
		fail_msg("`%s`: not a JSON object", path);
	else if (check(config) == 0)
		return config;
	json_decref(config);
	return NULL;
}

int config_namespace(const json_t *config, const char *type, const char **path)
{
	json_t *list = cfg_get(cfg_get(config, "linux"), "namespaces"), *ns;
	size_t i;

	json_array_foreach(list, i, ns) {
		const char *t = cfg_str(ns, "type");

		if (t != NULL && strcmp(t, type) == 0) {
			*path = cfg_str(ns, "path");
			return 1;
		}
	}
	return 0;
}
