// SPDX-License-Identifier: GPL-2.0-or-later
/* vessel-broker's argument rules (strict: anything not plainly right is refused). */
#include "broker-validate.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostcheck.h"

static bool three_digits(const char *p, unsigned *out)
{
	if (!isdigit((unsigned char)p[0]) || !isdigit((unsigned char)p[1]) ||
	    !isdigit((unsigned char)p[2]))
		return false;
	*out = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	return true;
}

bool broker_usb_path_ok(const char *path)
{
	static const char prefix[] = "/dev/bus/usb/";
	unsigned bus, dev;

	if (!path || strlen(path) != sizeof(prefix) - 1 + 7 ||
	    strncmp(path, prefix, sizeof(prefix) - 1))
		return false;
	path += sizeof(prefix) - 1;
	return three_digits(path, &bus) && path[3] == '/' && three_digits(path + 4, &dev) &&
	       bus >= 1 && bus <= 255 && dev >= 1 && dev <= 255;
}

bool broker_ifname_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n < 1 || n > 15 || !strcmp(name, ".") || !strcmp(name, ".."))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];

		if (!isalnum(c) && c != '_' && c != '-' && c != '.')
			return false;
	}
	return true;
}

bool broker_msr_allowed(uint32_t msr)
{
	/* Intel SDM vol. 4 table 2-2: IA32_FEATURE_CONTROL 0x3A, IA32_VMX_BASIC..VMFUNC 0x480-0x491.
	 * AMD APM vol. 2 §15.30.1: VM_CR 0xC0010114. */
	return msr == 0x3a || (msr >= 0x480 && msr <= 0x491) || msr == 0xc0010114;
}

/* A single path component we are willing to put into a sysfs path. */
static bool component_ok(const char *s)
{
	if (!s || !*s || strlen(s) > 64 || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || (unsigned char)*s < 0x20 || *s == 0x7f)
			return false;
	return true;
}

int broker_fwattr_check(const char *root, const char *driver, const char *name,
			const char *value, char *err, size_t errlen)
{
	char path[1024], buf[1024], *tok, *save = NULL;
	size_t n;
	FILE *f;

	if (!component_ok(driver) || !component_ok(name) || !hostcheck_fwattr_allowed(name)) {
		snprintf(err, errlen, "firmware attribute '%s' of driver '%s' is not one of the "
			 "virtualization settings Vessel may change", name ? name : "",
			 driver ? driver : "");
		return -EINVAL;
	}
	if (!value || !*value || strlen(value) > 64 || strpbrk(value, ";\n")) {
		snprintf(err, errlen, "'%s' is not a value a firmware attribute can take", value ? value : "");
		return -EINVAL;
	}
	snprintf(path, sizeof(path), "%s/sys/class/firmware-attributes/%s/attributes/%s/"
		 "possible_values", root ? root : "", driver, name);
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "this computer has no firmware setting %s/%s", driver, name);
		return -ENOENT;
	}
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (tok = strtok_r(buf, ";\n", &save); tok; tok = strtok_r(NULL, ";\n", &save))
		if (!strcmp(tok, value))
			return 0;
	snprintf(err, errlen, "'%s' is not one of the values %s/%s allows", value, driver, name);
	return -EINVAL;
}
