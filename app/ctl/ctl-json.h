/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A small streaming JSON writer for vesselctl's --json output. */
#ifndef VESSEL_CTL_JSON_H
#define VESSEL_CTL_JSON_H

#include <stdbool.h>
#include <stdio.h>

#define CTL_JSON_MAX_DEPTH 16

/* Members take a key inside objects and NULL inside arrays (and for the top-level value). */
struct ctl_json {
	FILE *out;
	int depth;
	bool need_comma[CTL_JSON_MAX_DEPTH];
};

void ctl_json_init(struct ctl_json *j, FILE *out);
void ctl_json_begin_object(struct ctl_json *j, const char *key);
void ctl_json_end_object(struct ctl_json *j);
void ctl_json_begin_array(struct ctl_json *j, const char *key);
void ctl_json_end_array(struct ctl_json *j);
/* NULL value writes null; invalid UTF-8 (DMI strings can hold any bytes) is repaired. */
void ctl_json_string(struct ctl_json *j, const char *key, const char *value);
void ctl_json_int(struct ctl_json *j, const char *key, long long value);
void ctl_json_bool(struct ctl_json *j, const char *key, bool value);
void ctl_json_null(struct ctl_json *j, const char *key);
/* Ends the document with a newline. */
void ctl_json_finish(struct ctl_json *j);

#endif
