/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Host check internals shared between its files: root-relative file access and the parsers. */
#ifndef VESSEL_HOSTCHECK_PRIVATE_H
#define VESSEL_HOSTCHECK_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>

#include "hostcheck.h"

/* Read root/rel (rel starts without '/'); NUL-terminated; bytes read or -errno. */
int hc_read_file(const char *root, const char *rel, char *buf, size_t len);
/* Like hc_read_file, then strip trailing whitespace. "" on error. */
int hc_read_line(const char *root, const char *rel, char *buf, size_t len);
bool hc_exists(const char *root, const char *rel);
/* root + "/" + rel into buf; false when it does not fit. */
bool hc_path(const char *root, const char *rel, char *buf, size_t len);
void hc_trim(char *s);
void hc_copy(char *dst, size_t len, const char *src);
bool hc_has_prefix_ci(const char *s, const char *prefix);

/* hostcheck-sources.c: one parser per signal. */
void hc_parse_cpuinfo(const char *root, struct hostcheck_facts *f);
void hc_scan_modules(const char *root, struct hostcheck_facts *f);
void hc_read_module_params(const char *root, struct hostcheck_facts *f);
void hc_scan_kmsg(const char *root, struct hostcheck_facts *f);
void hc_read_dmi(const char *root, struct hostcheck_dmi *dmi);

/* hostcheck-blacklist.c */
void hc_scan_blacklists(const char *root, struct hostcheck_facts *f);

/* hostcheck-fwattr.c */
void hc_scan_fwattrs(const char *root, struct hostcheck_facts *f);
bool hc_fwattr_disabled(const struct hostcheck_fwattr *a);
/* The value that means "on" for this attribute: "Enable", "Enabled", ... */
const char *hc_fwattr_enable_word(const struct hostcheck_fwattr *a, char *buf, size_t len);

/* Classify one kernel log message (prefix already stripped); 0 none, 1 BIOS, 2 no hardware. */
int hc_kmsg_classify(const char *msg);

#endif
