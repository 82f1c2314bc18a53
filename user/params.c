// SPDX-License-Identifier: GPL-2.0
/*
 * The command-line parser behind every xdprelayctl subcommand: walks the
 * command tree by unique prefix, fills the command's config struct from
 * its option table and generates --help from the same table, so the two
 * cannot disagree.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

#define HELP_WIDTH	80
#define HELP_OPT_COL	28	/* where option descriptions start */
#define HELP_CMD_COL	38	/* where command summaries start */
#define MAX_OPTS	32	/* per command, for the seen mask */
#define PATH_LEN	128

static const struct xr_opt opt_verbose = {
	.name = "verbose",
	.help = "Print more: what is done, then libbpf's and libxdp's messages (repeat for more)",
};

static const struct xr_opt opt_help = {
	.name = "help",
	.help = "Show this help and exit",
};

static const struct xr_opt opt_version = {
	.name = "version",
	.help = "Show the version and exit",
};

static void *field(void *cfg, const struct xr_opt *o)
{
	return (char *)cfg + o->off;
}

/*
 * Prints @text from column @col, wrapped at HELP_WIDTH, continued at
 * column @indent.
 */
static void print_wrapped(FILE *f, const char *text, int col, int indent)
{
	const char *p = text;

	while (*p) {
		const char *end = p;
		int len;

		while (*end && *end != ' ')
			end++;
		len = end - p;
		if (col > indent && col + 1 + len > HELP_WIDTH) {
			fprintf(f, "\n%*s", indent, "");
			col = indent;
		} else if (col > indent) {
			fputc(' ', f);
			col++;
		}
		fprintf(f, "%.*s", len, p);
		col += len;
		p = end;
		while (*p == ' ')
			p++;
	}
	fputc('\n', f);
}

/* What --help shows after an option's name: its ARG or its choices. */
static void opt_arg(const struct xr_opt *o, char *buf, size_t len)
{
	const struct xr_choice *c;
	size_t n = 0;

	buf[0] = '\0';
	if (o->type == XR_OPT_FLAG)
		return;
	if (o->type != XR_OPT_ENUM || o->arg) {
		snprintf(buf, len, "%s", o->arg ? o->arg : "VALUE");
		return;
	}
	for (c = o->choices; c->name && n < len; c++)
		n += snprintf(buf + n, len - n, "%s%s",
			      c == o->choices ? "" : "|", c->name);
}

static void print_opt(FILE *f, const char *flags, const struct xr_opt *o)
{
	char arg[64], help[512];
	bool required, repeat;
	int col;

	opt_arg(o, arg, sizeof(arg));
	col = fprintf(f, "  %s%s%s", flags, arg[0] ? " " : "", arg);
	if (col >= HELP_OPT_COL - 1) {
		fprintf(f, "\n%*s", HELP_OPT_COL, "");
		col = HELP_OPT_COL;
	} else {
		fprintf(f, "%*s", HELP_OPT_COL - col, "");
		col = HELP_OPT_COL;
	}
	required = o->flags & XR_OPT_REQUIRED &&
		   !(o->flags & XR_OPT_POSITIONAL);
	repeat = o->type == XR_OPT_ENDPOINTS;
	snprintf(help, sizeof(help), "%s%s%s%s%s", o->help,
		 required || repeat ? " (" : "", required ? "required" : "",
		 required && repeat ? ", " : "", repeat ? "repeatable)" :
		 required ? ")" : "");
	/* Descriptions start at the column: no leading space. */
	print_wrapped(f, help, col, HELP_OPT_COL);
}

/* "NAME --listen ADDR:PORT": positionals and required options. */
static void cmd_synopsis(const struct xr_cmd *cmd, char *buf, size_t len)
{
	const struct xr_opt *o;
	size_t n = 0;
	char arg[64];

	buf[0] = '\0';
	for (o = cmd->opts; o && o->name && n < len; o++) {
		if (o->flags == XR_OPT_POSITIONAL)
			n += snprintf(buf + n, len - n, " [%s]", o->name);
		if (!(o->flags & XR_OPT_REQUIRED))
			continue;
		opt_arg(o, arg, sizeof(arg));
		if (o->flags & XR_OPT_POSITIONAL)
			n += snprintf(buf + n, len - n, " %s", o->name);
		else
			n += snprintf(buf + n, len - n, " --%s %s", o->name,
				      arg);
	}
}

static bool cmd_has_optional(const struct xr_cmd *cmd)
{
	const struct xr_opt *o;

	for (o = cmd->opts; o && o->name; o++)
		if (!(o->flags & (XR_OPT_REQUIRED | XR_OPT_POSITIONAL)))
			return true;
	return false;
}

/* One line per leaf command under @cmd, named relative to it. */
static void print_cmd_list(FILE *f, const char *prefix,
			   const struct xr_cmd *cmd)
{
	const struct xr_cmd *c;
	char name[PATH_LEN], syn[PATH_LEN];
	int col;

	for (c = cmd->cmds; c->name; c++) {
		snprintf(name, sizeof(name), "%s%s%s", prefix,
			 prefix[0] ? " " : "", c->name);
		if (c->cmds) {
			print_cmd_list(f, name, c);
			continue;
		}
		cmd_synopsis(c, syn, sizeof(syn));
		col = fprintf(f, "  %s%s", name, syn);
		if (col >= HELP_CMD_COL - 1)
			fprintf(f, "\n%*s", HELP_CMD_COL, "");
		else
			fprintf(f, "%*s", HELP_CMD_COL - col, "");
		print_wrapped(f, c->summary, HELP_CMD_COL, HELP_CMD_COL);
	}
}

static void print_help(FILE *f, const char *path, const struct xr_cmd *cmd,
		       bool root)
{
	const struct xr_opt *o;
	char syn[PATH_LEN];
	bool args = false;

	if (cmd->cmds) {
		fprintf(f, "Usage: %s [OPTIONS] COMMAND [ARGS]...\n\n", path);
		print_wrapped(f, cmd->desc ? cmd->desc : cmd->summary, 0, 0);
		fprintf(f, "\nCommands:\n");
		print_cmd_list(f, "", cmd);
		fprintf(f, "\nOptions:\n");
		print_opt(f, "-v, --verbose", &opt_verbose);
		print_opt(f, "-h, --help", &opt_help);
		if (root)
			print_opt(f, "--version", &opt_version);
		fprintf(f, "\nRun '%s COMMAND --help' for the options of a command.\n",
			path);
		return;
	}

	cmd_synopsis(cmd, syn, sizeof(syn));
	fprintf(f, "Usage: %s%s%s\n\n", path, syn,
		cmd_has_optional(cmd) ? " [OPTIONS]" : "");
	print_wrapped(f, cmd->desc ? cmd->desc : cmd->summary, 0, 0);

	for (o = cmd->opts; o && o->name; o++) {
		if (!(o->flags & XR_OPT_POSITIONAL))
			continue;
		if (!args)
			fprintf(f, "\nArguments:\n");
		args = true;
		print_opt(f, o->name, &(struct xr_opt){
			.name = o->name, .type = XR_OPT_FLAG, .help = o->help,
		});
	}
	fprintf(f, "\nOptions:\n");
	for (o = cmd->opts; o && o->name; o++) {
		char flag[64];

		if (o->flags & XR_OPT_POSITIONAL)
			continue;
		snprintf(flag, sizeof(flag), "--%s", o->name);
		print_opt(f, flag, o);
	}
	print_opt(f, "-v, --verbose", &opt_verbose);
	print_opt(f, "-h, --help", &opt_help);
}

/* -v, -vv...: counts them into xr_verbose. */
static bool is_verbose(const char *a)
{
	size_t n = strspn(a + 1, "v");

	if (a[0] != '-' || !n || a[1 + n])
		return false;
	xr_verbose += n;
	return true;
}

/* "stream add: ", what error messages start with; "" at the root. */
static const char *ctx_of(const char *path, char *buf, size_t len)
{
	const char *sp = strchr(path, ' ');

	if (sp)
		snprintf(buf, len, "%s: ", sp + 1);
	else
		buf[0] = '\0';
	return buf;
}

static int usage_error(const char *path)
{
	if (!xr_json)
		fprintf(stderr, "Try '%s --help'.\n", path);
	return XR_EXIT_USAGE;
}

static const char *entry_name(const void *tbl, size_t stride, size_t i)
{
	return *(const char *const *)((const char *)tbl + i * stride);
}

/*
 * The entry of @tbl named @name, else the one entry whose name @name
 * begins.  Both tables this searches start each entry with its name and
 * end with a NULL name.  Sets *ambiguous when several entries match.
 */
static const void *find_unique(const void *tbl, size_t stride,
			       const char *name, const char *what,
			       const char *ctx, bool *ambiguous)
{
	size_t len = strlen(name), i, k = 0;
	const void *found = NULL;
	const char *n;
	char list[256];
	int matches = 0;

	*ambiguous = false;
	for (i = 0; (n = entry_name(tbl, stride, i)); i++) {
		if (!strcmp(n, name))
			return (const char *)tbl + i * stride;
		if (len && !strncmp(n, name, len)) {
			found = (const char *)tbl + i * stride;
			matches++;
		}
	}
	if (matches <= 1)
		return found;

	for (i = 0; (n = entry_name(tbl, stride, i)); i++)
		if (!strncmp(n, name, len) && k < sizeof(list))
			k += snprintf(list + k, sizeof(list) - k, "%s%s",
				      k ? ", " : "", n);
	pr_err("%s%s '%s' is ambiguous: %s", ctx, what, name, list);
	*ambiguous = true;
	return NULL;
}

static int parse_value(const struct xr_opt *o, const char *val, void *cfg,
		       char *err, size_t errlen)
{
	const struct xr_choice *c;
	struct xr_endpoints *eps;
	void *f = field(cfg, o);
	size_t n = 0;

	switch (o->type) {
	case XR_OPT_FLAG:
		*(bool *)f = true;
		return 0;
	case XR_OPT_STR:
		if (o->check && o->check(val, err, errlen))
			return -EINVAL;
		*(const char **)f = val;
		return 0;
	case XR_OPT_U32:
		return xr_parse_u32(val, o->min, o->max, f, err, errlen);
	case XR_OPT_PORT:
		return xr_parse_port(val, f, err, errlen);
	case XR_OPT_ENUM:
		for (c = o->choices; c->name; c++) {
			if (!strcmp(c->name, val)) {
				*(unsigned int *)f = c->value;
				return 0;
			}
		}
		n = snprintf(err, errlen, "'%s' is not one of ", val);
		for (c = o->choices; c->name && n < errlen; c++)
			n += snprintf(err + n, errlen - n, "%s%s",
				      c == o->choices ? "" : ", ", c->name);
		return -EINVAL;
	case XR_OPT_ENDPOINT:
		return xr_parse_endpoint(val, f, err, errlen);
	case XR_OPT_ENDPOINTS:
		eps = f;
		if (eps->nr >= XDPRELAY_MAX_SUBS) {
			snprintf(err, errlen,
				 "more than %d given: a stream has at most %d subscribers (beyond that, relay to a multicast group and let the network fan out)",
				 XDPRELAY_MAX_SUBS, XDPRELAY_MAX_SUBS);
			return -E2BIG;
		}
		if (xr_parse_endpoint(val, &eps->ep[eps->nr], err, errlen))
			return -EINVAL;
		eps->nr++;
		return 0;
	case XR_OPT_PREFIX:
		return xr_parse_prefix(val, f, err, errlen);
	}
	return -EINVAL;
}

const struct xr_opt *xr_opt_find(const struct xr_opt *opts, const char *name)
{
	const struct xr_opt *o;

	for (o = opts; o->name; o++)
		if (!(o->flags & XR_OPT_POSITIONAL) && !strcmp(o->name, name))
			return o;
	return NULL;
}

int xr_opt_set(const struct xr_opt *opts, const char *name, const char *val,
	       void *cfg, char *err, size_t errlen)
{
	const struct xr_opt *o = xr_opt_find(opts, name);

	if (!o)
		return -ENOENT;
	return parse_value(o, val, cfg, err, errlen) ? -EINVAL : 0;
}

/* Returns 1 when --help was given, 0 when parsed, -XR_EUSAGE on error. */
static int parse_opts(const char *ctx, const struct xr_cmd *cmd, void *cfg,
		      int argc, char **argv)
{
	const struct xr_opt *opts = cmd->opts, *o, *pos;
	char err[XR_ERR_LEN], name[64];
	uint32_t seen = 0;
	bool dashdash = false, ambiguous;
	const char *val;
	int i, idx;

	pos = opts;
	for (i = 0; i < argc; i++) {
		char *a = argv[i];
		char *eq;

		if (dashdash || a[0] != '-' || !a[1]) {
			while (pos && pos->name &&
			       !(pos->flags & XR_OPT_POSITIONAL))
				pos++;
			if (!pos || !pos->name) {
				pr_err("%sunexpected argument '%s'", ctx, a);
				return -XR_EUSAGE;
			}
			o = pos++;
			val = a;
			goto value;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (is_verbose(a))
			continue;
		if (!strcmp(a, "-h"))
			return 1;
		if (a[1] != '-') {
			pr_err("%sunknown option '%s'", ctx, a);
			return -XR_EUSAGE;
		}

		snprintf(name, sizeof(name), "%s", a + 2);
		eq = strchr(name, '=');
		if (eq)
			*eq = '\0';
		if (!strcmp(name, "help"))
			return 1;
		if (!strcmp(name, "verbose")) {
			xr_verbose++;
			continue;
		}
		o = find_unique(opts, sizeof(*opts), name, "option", ctx,
				&ambiguous);
		if (ambiguous)
			return -XR_EUSAGE;
		if (!o || (o->flags & XR_OPT_POSITIONAL)) {
			pr_err("%sunknown option '--%s'", ctx, name);
			return -XR_EUSAGE;
		}
		if (o->type == XR_OPT_FLAG) {
			if (eq) {
				pr_err("%soption --%s takes no value", ctx,
				       o->name);
				return -XR_EUSAGE;
			}
			val = "";
		} else if (eq) {
			val = a + 2 + (eq - name) + 1;
		} else if (i + 1 < argc) {
			val = argv[++i];
		} else {
			pr_err("%soption --%s needs a value: --%s %s", ctx,
			       o->name, o->name, o->arg ? o->arg : "VALUE");
			return -XR_EUSAGE;
		}
value:
		idx = o - opts;
		if (idx < MAX_OPTS && (seen & (1U << idx)) &&
		    o->type != XR_OPT_ENDPOINTS) {
			pr_err("%soption --%s given twice", ctx, o->name);
			return -XR_EUSAGE;
		}
		if (parse_value(o, val, cfg, err, sizeof(err))) {
			if (o->flags & XR_OPT_POSITIONAL)
				pr_err("%s%s", ctx, err);
			else
				pr_err("%soption --%s: %s", ctx, o->name, err);
			return -XR_EUSAGE;
		}
		if (idx < MAX_OPTS)
			seen |= 1U << idx;
	}

	for (o = opts; o && o->name; o++) {
		if (!(o->flags & XR_OPT_REQUIRED) ||
		    (seen & (1U << (o - opts))))
			continue;
		if (o->flags & XR_OPT_POSITIONAL)
			pr_err("%smissing %s", ctx, o->name);
		else
			pr_err("%smissing option --%s %s", ctx, o->name,
			       o->arg ? o->arg : "");
		return -XR_EUSAGE;
	}
	return 0;
}

int xr_cmd_main(const struct xr_cmd *root, int argc, char **argv)
{
	const struct xr_cmd *cmd = root, *next;
	char path[PATH_LEN], ctx[PATH_LEN];
	bool ambiguous;
	void *cfg;
	int i, ret;

	/* So that even errors about the command line come out as JSON. */
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++)
		if (!strcmp(argv[i], "--json"))
			xr_json = true;

	snprintf(path, sizeof(path), "%s", root->name);
	for (i = 1; cmd->cmds; i++) {
		const char *a = i < argc ? argv[i] : NULL;
		size_t n;

		if (!a) {
			pr_err("%smissing command",
			       ctx_of(path, ctx, sizeof(ctx)));
			if (!xr_json)
				print_help(stderr, path, cmd, cmd == root);
			return XR_EXIT_USAGE;
		}
		if (is_verbose(a) || !strcmp(a, "--verbose")) {
			xr_verbose += !strcmp(a, "--verbose");
			continue;
		}
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_help(stdout, path, cmd, cmd == root);
			return XR_EXIT_OK;
		}
		if (cmd == root && !strcmp(a, "--version")) {
			printf("xdprelayctl %s\n", XDPRELAY_VERSION);
			return XR_EXIT_OK;
		}
		if (a[0] == '-') {
			pr_err("%sunknown option '%s'",
			       ctx_of(path, ctx, sizeof(ctx)), a);
			return usage_error(path);
		}
		next = find_unique(cmd->cmds, sizeof(*next), a, "command",
				   ctx_of(path, ctx, sizeof(ctx)), &ambiguous);
		if (ambiguous)
			return usage_error(path);
		if (!next) {
			pr_err("%sunknown command '%s'", ctx, a);
			return usage_error(path);
		}
		cmd = next;
		n = strlen(path);
		snprintf(path + n, sizeof(path) - n, " %s", cmd->name);
	}

	cfg = calloc(1, cmd->cfg_size ? cmd->cfg_size : 1);
	if (!cfg) {
		pr_err("out of memory");
		return XR_EXIT_FAILURE;
	}
	if (cmd->defaults)
		memcpy(cfg, cmd->defaults, cmd->cfg_size);

	ret = parse_opts(ctx_of(path, ctx, sizeof(ctx)), cmd, cfg, argc - i,
			 argv + i);
	if (ret == 1) {
		print_help(stdout, path, cmd, false);
		ret = 0;
		goto out;
	}
	if (ret)
		goto out;

	ret = cmd->run(cfg);
out:
	free(cfg);
	if (ret == -XR_EUSAGE)
		return usage_error(path);
	return ret ? XR_EXIT_FAILURE : XR_EXIT_OK;
}
