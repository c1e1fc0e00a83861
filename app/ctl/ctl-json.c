// SPDX-License-Identifier: GPL-2.0-or-later
/* A small streaming JSON writer (RFC 8259) for vesselctl's --json output, two-space indented. */
#include <glib.h>

#include "ctl-json.h"

void ctl_json_init(struct ctl_json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->need_comma[0] = false;
}

static void indent(struct ctl_json *j)
{
	for (int i = 0; i < j->depth; i++)
		fputs("  ", j->out);
}

/* RFC 8259 §7: quote, backslash and control characters must be escaped. */
static void write_string(FILE *out, const char *s)
{
	g_autofree gchar *valid = g_utf8_make_valid(s, -1);

	fputc('"', out);
	for (const unsigned char *p = (const unsigned char *)valid; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p == '\t')
			fputs("\\t", out);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

/* Comma, newline and indent before a member, then its key. */
static void member(struct ctl_json *j, const char *key)
{
	if (j->depth > 0) {
		fputs(j->need_comma[j->depth] ? ",\n" : "\n", j->out);
		j->need_comma[j->depth] = true;
		indent(j);
	}
	if (key) {
		write_string(j->out, key);
		fputs(": ", j->out);
	}
}

static void open_container(struct ctl_json *j, const char *key, char c)
{
	member(j, key);
	fputc(c, j->out);
	if (j->depth + 1 < CTL_JSON_MAX_DEPTH)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_container(struct ctl_json *j, char c)
{
	bool had = j->need_comma[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (had) {
		fputc('\n', j->out);
		indent(j);
	}
	fputc(c, j->out);
}

void ctl_json_begin_object(struct ctl_json *j, const char *key)
{
	open_container(j, key, '{');
}

void ctl_json_end_object(struct ctl_json *j)
{
	close_container(j, '}');
}

void ctl_json_begin_array(struct ctl_json *j, const char *key)
{
	open_container(j, key, '[');
}

void ctl_json_end_array(struct ctl_json *j)
{
	close_container(j, ']');
}

void ctl_json_string(struct ctl_json *j, const char *key, const char *value)
{
	member(j, key);
	if (value)
		write_string(j->out, value);
	else
		fputs("null", j->out);
}

void ctl_json_int(struct ctl_json *j, const char *key, long long value)
{
	member(j, key);
	fprintf(j->out, "%lld", value);
}

void ctl_json_bool(struct ctl_json *j, const char *key, bool value)
{
	member(j, key);
	fputs(value ? "true" : "false", j->out);
}

void ctl_json_null(struct ctl_json *j, const char *key)
{
	member(j, key);
	fputs("null", j->out);
}

void ctl_json_finish(struct ctl_json *j)
{
	fputc('\n', j->out);
}
