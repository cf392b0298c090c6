/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The reader of the configuration file, /etc/default/virtioforwarder.
 *
 * The file is a shell fragment that 1.x sourced with bash.  We do not run a
 * shell: we read the subset of bash syntax that such files use (assignments,
 * quoting, arrays, comments) and refuse what would need a shell to mean
 * anything (expansions, line continuations), so that a value never means
 * something else here than it did under bash.  Each assignment is then
 * applied through the table of settings (config.c), as options are.
 */
#include "config.h"
#include "config_table.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * Limits on what whoever writes the file controls.  They are far above any
 * real file and keep a broken or hostile one from costing much memory.
 */
#define CFG_LINE_MAX 4096
#define CFG_FILE_MAX (1024 * 1024)
#define CFG_ARRAY_MAX 256
#define CFG_VARNAME_MAX 64

/* ------------------------------------------------------------------ */
/* The lexer                                                           */
/* ------------------------------------------------------------------ */

/*
 * The reader of the file.  Words are written into 'arena', which is as
 * large as the text plus one NUL per word: quoting only ever shrinks a
 * word, so it cannot overflow.
 */
struct lexer {
	const char *p;
	const char *end;
	unsigned int line;
	const char *file;
	char *err;
	size_t errlen;
};

static int
lex_fail(const struct lexer *lx, unsigned int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
lex_fail(const struct lexer *lx, unsigned int line, const char *fmt, ...)
{
	char msg[VFWD_ERR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return vfwd_fail(lx->err, lx->errlen, "%s:%u: %s", lx->file, line,
			 msg);
}

static bool
at_eol(const struct lexer *lx, const char *p)
{
	return p == lx->end || *p == '\n';
}

static void
skip_to_eol(struct lexer *lx)
{
	while (!at_eol(lx, lx->p))
		lx->p++;
}

static int
expansion_fail(const struct lexer *lx, const char *name)
{
	return lex_fail(lx, lx->line, "%s: shell expansion ('$' or '`') is "
			"not supported; write the value literally or escape "
			"'$' as '\\$'", name);
}

/* Copies a '...' string from after its opening quote; no escapes. */
static int
read_single_quoted(struct lexer *lx, const char **pp, char **op,
		   const char *name)
{
	const char *p = *pp;
	char *o = *op;

	for (; !at_eol(lx, p) && *p != '\''; p++)
		*o++ = *p;
	if (at_eol(lx, p))
		return lex_fail(lx, lx->line, "%s: unterminated single quote",
				name);
	*pp = p + 1;
	*op = o;
	return 0;
}

/*
 * Copies a "..." string from after its opening quote.  As in bash, a
 * backslash escapes only " \ $ and `; before anything else it is kept.
 */
static int
read_double_quoted(struct lexer *lx, const char **pp, char **op,
		   const char *name)
{
	const char *p = *pp;
	char *o = *op;

	for (; !at_eol(lx, p) && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0' && strchr("\"\\$`", p[1]))
			*o++ = *++p;
		else if (*p == '$' || *p == '`')
			return expansion_fail(lx, name);
		else
			*o++ = *p;
	}
	if (at_eol(lx, p))
		return lex_fail(lx, lx->line, "%s: unterminated double quote",
				name);
	*pp = p + 1;
	*op = o;
	return 0;
}

/*
 * Reads one word (quoted parts included) at lx->p into '*out'.  In an
 * array, an unquoted ')' ends the word.  Quotes do not span lines: no
 * value holds a newline, and an unclosed quote is then reported on its
 * own line rather than at the end of the file.
 */
static int
read_word(struct lexer *lx, const char *name, bool in_array, char **out)
{
	const char *p = lx->p;
	char *o = *out;
	int r = 0;

	while (!at_eol(lx, p) && !vfwd_is_blank(*p) && !(in_array && *p == ')')) {
		if (*p == '\'') {
			p++;
			r = read_single_quoted(lx, &p, &o, name);
		} else if (*p == '"') {
			p++;
			r = read_double_quoted(lx, &p, &o, name);
		} else if (*p == '\\') {
			if (at_eol(lx, p + 1))
				return lex_fail(lx, lx->line, "%s: a '\\' at "
						"the end of a line (line "
						"continuation) is not "
						"supported", name);
			*o++ = p[1];
			p += 2;
		} else if (*p == '$' || *p == '`') {
			return expansion_fail(lx, name);
		} else {
			*o++ = *p++;
		}
		if (r < 0)
			return r;
	}
	*o++ = '\0';
	*out = o;
	lx->p = p;
	return 0;
}

/* Reads the elements of "(a b ...)" from after the '('. */
static int
read_array(struct lexer *lx, const char *name, char **out,
	   const char **values, unsigned int *n_values)
{
	unsigned int start = lx->line;

	*n_values = 0;
	for (;;) {
		int r;

		lx->p = vfwd_skip_blanks(lx->p);
		if (lx->p == lx->end)
			return lex_fail(lx, start, "%s: unterminated array "
					"(no ')' before the end of the file)",
					name);
		if (*lx->p == '\n') {
			lx->p++;
			lx->line++;
			continue;
		}
		if (*lx->p == '#') {
			skip_to_eol(lx);
			continue;
		}
		if (*lx->p == ')') {
			lx->p++;
			return 0;
		}
		if (*n_values == CFG_ARRAY_MAX)
			return lex_fail(lx, lx->line, "%s: more than %d array "
					"elements", name, CFG_ARRAY_MAX);
		values[*n_values] = *out;
		r = read_word(lx, name, true, out);
		if (r < 0)
			return r;
		(*n_values)++;
	}
}

/*
 * Reads one assignment, "[export ]NAME=value" or "NAME=(...)", from the
 * first non-blank character of a line, and applies it.
 */
static int
read_assignment(struct lexer *lx, struct vfwd_config *cfg, char *arena)
{
	const char *values[CFG_ARRAY_MAX];
	char name[CFG_VARNAME_MAX + 1];
	unsigned int n_values, line = lx->line;
	bool exported = false, is_array;
	char where[PATH_MAX + 16], msg[VFWD_ERR_MAX];
	const char *p = lx->p;
	char *out = arena;
	size_t n;
	int r;

	if (!strncmp(p, "export", 6) && vfwd_is_blank(p[6])) {
		p = vfwd_skip_blanks(p + 6);
		exported = true;
	}
	for (n = 0; vfwd_is_name_char(p[n]); n++)
		continue;
	if (n == 0 || vfwd_is_digit(p[0]))
		return lex_fail(lx, line, "expected NAME=value");
	if (n > CFG_VARNAME_MAX)
		return lex_fail(lx, line, "variable name longer than %d "
				"characters", CFG_VARNAME_MAX);
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	lx->p = p;

	/* "export NAME" of a variable already set changes nothing here. */
	if (exported && (at_eol(lx, p) || vfwd_is_blank(*p) || *p == '#')) {
		p = vfwd_skip_blanks(p);
		if (at_eol(lx, p) || *p == '#') {
			lx->p = p;
			skip_to_eol(lx);
			return 0;
		}
	}
	if (p[0] == '+' && p[1] == '=')
		return lex_fail(lx, line, "%s: '+=' is not supported; assign "
				"the whole value", name);
	if (*p != '=')
		return lex_fail(lx, line, "expected NAME=value (without "
				"spaces around '='), found '%.*s'",
				(int)strcspn(lx->p - n, "\n"), lx->p - n);
	lx->p = p + 1;

	is_array = *lx->p == '(';
	if (is_array) {
		lx->p++;
		r = read_array(lx, name, &out, values, &n_values);
	} else {
		values[0] = out;
		n_values = 1;
		r = read_word(lx, name, false, &out);
	}
	if (r < 0)
		return r;

	/* After the value: blanks, then a comment or the end of the line. */
	lx->p = vfwd_skip_blanks(lx->p);
	if (lx->p < lx->end && *lx->p == '#')
		skip_to_eol(lx);
	if (!at_eol(lx, lx->p))
		return lex_fail(lx, lx->line, "%s: unexpected text '%.*s' "
				"after the value; quote a value that contains "
				"spaces", name,
				(int)strcspn(lx->p, "\n"), lx->p);

	snprintf(where, sizeof where, "%s:%u", lx->file, line);
	r = vfwd_config_set_at(cfg, where, name, values, n_values, is_array,
			       msg, sizeof msg);
	if (r < 0)
		return lex_fail(lx, line, "%s", msg);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

int
vfwd_config_load_string(struct vfwd_config *cfg, const char *text,
			const char *name, char *err, size_t errlen)
{
	struct lexer lx = {
		.p = text, .line = 1, .file = name ? name : "(config)",
		.err = err, .errlen = errlen,
	};
	struct vfwd_config *work;
	const char *line_start;
	size_t len;
	char *arena;
	int r = 0;

	if (!cfg || !text)
		return vfwd_fail(err, errlen, "no configuration given");
	len = strlen(text);
	if (len > CFG_FILE_MAX) {
		vfwd_fail(err, errlen, "%s: larger than %d bytes; this is not "
			  "a configuration file", lx.file, CFG_FILE_MAX);
		return -EFBIG;
	}
	lx.end = text + len;

	/* Check every line's length first, whatever the syntax says. */
	line_start = text;
	for (const char *p = text; p <= lx.end; p++) {
		if (p < lx.end && *p != '\n')
			continue;
		if (p - line_start > CFG_LINE_MAX)
			return lex_fail(&lx, lx.line, "line longer than %d "
					"bytes", CFG_LINE_MAX);
		line_start = p + 1;
		lx.line++;
	}
	lx.line = 1;

	/* Work on a copy, so that a file with an error changes nothing. */
	work = malloc(sizeof *work);
	arena = malloc(len + CFG_ARRAY_MAX + 1);
	if (!work || !arena) {
		free(work);
		free(arena);
		vfwd_fail(err, errlen, "%s: out of memory", lx.file);
		return -ENOMEM;
	}
	*work = *cfg;

	while (lx.p < lx.end) {
		lx.p = vfwd_skip_blanks(lx.p);
		if (lx.p == lx.end)
			break;
		if (*lx.p == '#') {
			skip_to_eol(&lx);
		} else if (*lx.p != '\n') {
			r = read_assignment(&lx, work, arena);
			if (r < 0)
				break;
		}
		if (lx.p < lx.end) {    /* at the '\n' */
			lx.p++;
			lx.line++;
		}
	}
	if (r == 0)
		*cfg = *work;
	free(work);
	free(arena);
	return r;
}

int
vfwd_config_load_file(struct vfwd_config *cfg, const char *path,
		      char *err, size_t errlen)
{
	size_t len = 0;
	char *text;
	ssize_t n;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		r = -errno;
		vfwd_fail(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	/* One byte more than allowed tells a file that is too large. */
	text = malloc(CFG_FILE_MAX + 2);
	if (!text) {
		close(fd);
		vfwd_fail(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (len < CFG_FILE_MAX + 1) {
		n = read(fd, text + len, CFG_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = -errno;
			vfwd_fail(err, errlen, "%s: %s", path, strerror(-r));
			goto out;
		}
		if (n == 0)
			break;
		len += n;
	}
	text[len] = '\0';
	if (len > CFG_FILE_MAX) {
		r = -EFBIG;
		vfwd_fail(err, errlen, "%s: larger than %d bytes; this is not "
			  "a configuration file", path, CFG_FILE_MAX);
	} else if (memchr(text, '\0', len)) {
		r = vfwd_fail(err, errlen, "%s: contains a NUL byte; this is "
			      "not a text file", path);
	} else {
		r = vfwd_config_load_string(cfg, text, path, err, errlen);
	}
out:
	free(text);
	close(fd);
	return r;
}
