/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The command line of the daemon: the 1.x options, and --help.
 *
 * getopt's tables and the --help text are built from the table of settings
 * (config.c), so that an option cannot be accepted without being documented,
 * nor documented without being accepted, and so that it takes exactly the
 * values of its file variable.  Only the options that are not settings
 * (--config, --help, --version) are listed here.
 */
#include "config.h"
#include "config_table.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Option values of settings without a letter: this plus their index. */
#define OPT_SETTING_BASE 256
/* Room for every option in getopt's tables; far above what there is. */
#define MAX_OPTS 96
/* The column where --help's explanations start. */
#define HELP_COLUMN 32

/* An option that says what to do rather than setting a value. */
struct plain_opt {
	const char *long_opt;
	int short_opt;
	int has_arg;
	const char *metavar;
	bool before_settings;   /* listed in --help before the settings */
	const char *heading;
	const char *help;
};

static const struct plain_opt plain_opts[] = {
	{ "config", 'f', required_argument, "FILE", true, NULL,
	  "read NAME=value settings from FILE first,\n"
	  "e.g. /etc/default/virtioforwarder" },
	{ "help", 'h', no_argument, NULL, false, "Other:",
	  "show this help and exit" },
	{ "version", 'v', no_argument, NULL, false, NULL,
	  "show the version and exit" },
};
#define N_PLAIN (sizeof plain_opts / sizeof plain_opts[0])

/* getopt's tables, built from the settings and plain_opts[]. */
struct cli {
	struct option longs[MAX_OPTS + 1];
	/* "+:", then a letter and up to two ':' per option, and a NUL. */
	char shorts[2 + 3 * MAX_OPTS + 1];
};

/* The option value of setting 'i'. */
static int
setting_val(size_t i)
{
	const struct vfwd_setting *s = &vfwd_settings[i];

	return s->short_opt ? s->short_opt : OPT_SETTING_BASE + (int)i;
}

/* The setting that option value 'val' stands for, or NULL (a plain one). */
static const struct vfwd_setting *
setting_of(int val, size_t *index)
{
	size_t i;

	for (i = 0; i < vfwd_n_settings; i++)
		if (vfwd_settings[i].long_opt && setting_val(i) == val) {
			*index = i;
			return &vfwd_settings[i];
		}
	return NULL;
}

static void
add_opt(struct cli *c, size_t *n, size_t *ns, const char *name, int has_arg,
	int val)
{
	/* The table is fixed; test_config runs every option through here. */
	assert(*n < MAX_OPTS);
	c->longs[*n] = (struct option){ name, has_arg, NULL, val };
	(*n)++;
	if (val >= OPT_SETTING_BASE)
		return;
	c->shorts[(*ns)++] = (char)val;
	if (has_arg != no_argument)
		c->shorts[(*ns)++] = ':';
	if (has_arg == optional_argument)
		c->shorts[(*ns)++] = ':';
}

static void
build_cli(struct cli *c)
{
	size_t n = 0, ns = 0, i;

	/*
	 * '+': stop at the first non-option instead of permuting argv (the
	 * caller's array stays as it was, and a stray word is reported).
	 * ':': tell a missing value (':') from an unknown option ('?').
	 */
	c->shorts[ns++] = '+';
	c->shorts[ns++] = ':';
	for (i = 0; i < vfwd_n_settings; i++)
		if (vfwd_settings[i].long_opt)
			add_opt(c, &n, &ns, vfwd_settings[i].long_opt,
				vfwd_settings[i].has_arg, setting_val(i));
	for (i = 0; i < N_PLAIN; i++)
		add_opt(c, &n, &ns, plain_opts[i].long_opt,
			plain_opts[i].has_arg, plain_opts[i].short_opt);
	c->longs[n] = (struct option){ NULL, 0, NULL, 0 };
	c->shorts[ns] = '\0';
}

static const struct option *
find_opt(const struct cli *c, int val)
{
	const struct option *o;

	for (o = c->longs; o->name; o++)
		if (o->val == val)
			return o;
	return NULL;
}

/* Names an option in messages: "--cpus (-C)" or "--eal-args". */
static const char *
opt_label(const struct cli *c, int val, char *buf, size_t len)
{
	const struct option *o = find_opt(c, val);

	if (!o)
		snprintf(buf, len, "-%c", val);
	else if (val < OPT_SETTING_BASE)
		snprintf(buf, len, "--%s (-%c)", o->name, val);
	else
		snprintf(buf, len, "--%s", o->name);
	return buf;
}

/* Is 'arg' an option that takes an optional value, given without one? */
static bool
is_bare_optional(const struct cli *c, const char *arg)
{
	const struct option *o;

	for (o = c->longs; o->name; o++) {
		if (o->has_arg != optional_argument)
			continue;
		if ((arg[0] == '-' && arg[1] == o->val && !arg[2])
		    || (!strncmp(arg, "--", 2) && !strcmp(arg + 2, o->name)))
			return true;
	}
	return false;
}

static int
getopt_fail(const struct cli *c, int r, char **argv, char *err, size_t errlen)
{
	char label[64], shown[VFWD_SHOWN_MAX];
	const char *arg = argv[optind - 1];

	if (r == ':')
		return vfwd_fail(err, errlen, "option %s needs a value",
				 opt_label(c, optopt, label, sizeof label));
	if (optopt && find_opt(c, optopt))
		return vfwd_fail(err, errlen, "option %s does not take a value",
				 opt_label(c, optopt, label, sizeof label));
	if (optopt)
		return vfwd_fail(err, errlen, "unknown option '-%c'; see "
				 "--help", optopt);
	return vfwd_fail(err, errlen, "unknown or ambiguous option '%.*s'; "
			 "see --help", (int)strcspn(arg, "="),
			 vfwd_show_value(arg, shown, sizeof shown));
}

/*
 * Applies option 'val' with its value 'arg' (NULL when none was given).
 * The first -c, -P or --eal-args replaces the list that the file gave,
 * as options override the file; later ones add to it ('seen' records
 * which lists were replaced).
 */
static int
apply_option(struct vfwd_config *cfg, int val, const char *arg,
	     bool *seen, char *err, size_t errlen)
{
	char why[VFWD_ERR_MAX], what[64];
	const struct vfwd_setting *s;
	size_t i;

	s = setting_of(val, &i);
	if (!s)
		return 0;       /* -f, -h and -v were handled in the first pass */
	if (!arg)
		arg = s->bare;
	if (!arg)
		return 0;
	if (vfwd_setting_is_list(s) && !seen[i]) {
		seen[i] = true;
		vfwd_setting_clear_list(cfg, s);
	}
	if (vfwd_setting_apply(cfg, s, arg, why, sizeof why) < 0) {
		snprintf(what, sizeof what, "--%s", s->long_opt);
		return vfwd_config_fail_value(err, errlen, what, arg, why);
	}
	if (s->enable_off)
		*(bool *)((char *)cfg + s->enable_off - 1) =
			*((char *)cfg + s->off) != '\0';
	return 0;
}

int
vfwd_config_from_args(struct vfwd_config *cfg, int argc, char **argv,
		      enum vfwd_config_action *action,
		      char *err, size_t errlen)
{
	bool help = false, version = false, *seen = NULL;
	const char *config = NULL;
	int saved_opterr = opterr;
	struct cli cli;
	int c, r = 0;

	vfwd_config_defaults(cfg);
	*action = VFWD_CONFIG_RUN;
	build_cli(&cli);
	opterr = 0;     /* we report errors ourselves, into 'err' */

	/*
	 * First pass: find --config, --help and --version, and refuse what
	 * is not an option.  Scanning with getopt itself, rather than by
	 * hand, skips option values that merely look like "-f".
	 */
	optind = 0;     /* glibc: a full reset, so that we can run again */
	while ((c = getopt_long(argc, argv, cli.shorts, cli.longs,
				NULL)) != -1) {
		if (c == '?' || c == ':') {
			r = getopt_fail(&cli, c, argv, err, errlen);
			goto out;
		}
		if (c == 'f')
			config = optarg;
		else if (c == 'h')
			help = true;
		else if (c == 'v')
			version = true;
	}
	if (optind < argc) {
		char shown[VFWD_SHOWN_MAX];

		r = vfwd_fail(err, errlen, "unexpected argument '%s'%s",
			      vfwd_show_value(argv[optind], shown,
					      sizeof shown),
			      optind > 1 && is_bare_optional(&cli,
							     argv[optind - 1])
			      ? "; an optional value must be attached "
				"(--option=VALUE or -oVALUE)" : "");
		goto out;
	}
	if (help || version) {
		*action = help ? VFWD_CONFIG_HELP : VFWD_CONFIG_VERSION;
		goto out;
	}

	if (config) {
		r = vfwd_config_load_file(cfg, config, err, errlen);
		if (r < 0)
			goto out;
	}

	/* Second pass: every option on top of the file. */
	seen = calloc(vfwd_n_settings, sizeof *seen);
	if (!seen) {
		vfwd_fail(err, errlen, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	optind = 0;
	while ((c = getopt_long(argc, argv, cli.shorts, cli.longs,
				NULL)) != -1) {
		r = apply_option(cfg, c, optarg, seen, err, errlen);
		if (r < 0)
			break;
	}
out:
	free(seen);
	opterr = saved_opterr;
	return r;
}

/* ------------------------------------------------------------------ */
/* --help                                                              */
/* ------------------------------------------------------------------ */

/*
 * Prints one option of --help: its heading if it starts a section, the
 * option column ("  -C, --cpus=LIST"), and its text from HELP_COLUMN on,
 * starting on a line of its own when the option column is too wide.
 */
static void
print_option(FILE *fp, int short_opt, const char *long_opt, int has_arg,
	     const char *metavar, const char *heading, const char *help)
{
	char col[128];
	const char *line, *nl;
	int n;

	if (heading)
		fprintf(fp, "%s\n", heading);
	if (short_opt)
		n = snprintf(col, sizeof col, "  -%c, --%s", short_opt,
			     long_opt);
	else
		n = snprintf(col, sizeof col, "      --%s", long_opt);
	if (has_arg != no_argument && n >= 0 && (size_t)n < sizeof col)
		snprintf(col + n, sizeof col - n, "%s%s%s",
			 has_arg == optional_argument ? "[=" : "=",
			 metavar ? metavar : "VALUE",
			 has_arg == optional_argument ? "]" : "");
	n = (int)strlen(col);
	if (n < HELP_COLUMN)
		fprintf(fp, "%-*s", HELP_COLUMN, col);
	else
		fprintf(fp, "%s\n%*s", col, HELP_COLUMN, "");
	for (line = help; ; line = nl + 1) {
		nl = strchr(line, '\n');
		if (line != help)
			fprintf(fp, "%*s", HELP_COLUMN, "");
		if (!nl) {
			fprintf(fp, "%s\n", line);
			break;
		}
		fprintf(fp, "%.*s\n", (int)(nl - line), line);
	}
}

static void
print_plain(FILE *fp, bool before_settings)
{
	size_t i;

	for (i = 0; i < N_PLAIN; i++) {
		const struct plain_opt *o = &plain_opts[i];

		if (o->before_settings == before_settings)
			print_option(fp, o->short_opt, o->long_opt, o->has_arg,
				     o->metavar, o->heading, o->help);
	}
}

void
vfwd_config_usage(void *out, const char *prog)
{
	FILE *fp = out;
	size_t i;

	fprintf(fp,
"Usage: %s [OPTION]...\n"
"Relay packets between DPDK ports (SR-IOV VFs and others) and the\n"
"vhost-user sockets of virtual machines.\n"
"\n"
"Settings come from the defaults, then the file of --config, then the\n"
"options.  Each option takes the values of the variable in brackets; an\n"
"empty value restores the default.  Values in [=...] are optional and must\n"
"be attached (--option=VALUE or -oVALUE).\n"
"\n",
		prog ? prog : "virtio-forwarder");
	print_plain(fp, true);
	for (i = 0; i < vfwd_n_settings; i++) {
		const struct vfwd_setting *s = &vfwd_settings[i];

		if (s->long_opt)
			print_option(fp, s->short_opt, s->long_opt, s->has_arg,
				     s->metavar, s->heading,
				     s->help ? s->help : "");
	}
	print_plain(fp, false);
}
