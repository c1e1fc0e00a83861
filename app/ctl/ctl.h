/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vesselctl commands: each is a function over its own argv with explicit output streams. */
#ifndef VESSEL_CTL_H
#define VESSEL_CTL_H

#include <stdio.h>

/* sysexits.h values, so scripts can tell "you typed it wrong" from a command's own result. */
#define CTL_EXIT_USAGE 64
#define CTL_EXIT_SOFTWARE 70

struct ctl_command {
	const char *name;
	const char *summary;
	/* argv[0] is the command's name; the return value is the process exit status. */
	int (*run)(int argc, char **argv, FILE *out, FILE *err);
};

/* vesselctl check: exit status is the host check state (hostcheck.h), 64, or 70. */
int ctl_check(int argc, char **argv, FILE *out, FILE *err);

#endif
