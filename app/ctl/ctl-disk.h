/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vesselctl disk: qcow2 image tools (create, info, check, commit). */
#ifndef VESSEL_CTL_DISK_H
#define VESSEL_CTL_DISK_H

#include <stdio.h>

/*
 * vesselctl disk SUBCOMMAND ...: exit status 0 success, 1 failure, 64 bad command line;
 * check also returns 2 (leaks only) and 3 (corruption).
 */
int ctl_disk(int argc, char **argv, FILE *out, FILE *err);

#endif
