/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vesselctl's VM commands: create, list, run, and steering a running VM. */
#ifndef VESSEL_CTL_VM_H
#define VESSEL_CTL_VM_H

#include <stdio.h>

/* Exit statuses shared by the VM commands (besides CTL_EXIT_USAGE 64 and SOFTWARE 70). */
#define CTL_EXIT_FAILED		1	/* the VM or the host refused; the message says why */
#define CTL_EXIT_NOT_RUNNING	3	/* the VM is not running */

int ctl_create(int argc, char **argv, FILE *out, FILE *err);
int ctl_list(int argc, char **argv, FILE *out, FILE *err);
int ctl_run(int argc, char **argv, FILE *out, FILE *err);
int ctl_status(int argc, char **argv, FILE *out, FILE *err);
int ctl_pause(int argc, char **argv, FILE *out, FILE *err);
int ctl_resume(int argc, char **argv, FILE *out, FILE *err);
int ctl_reset(int argc, char **argv, FILE *out, FILE *err);
int ctl_stop(int argc, char **argv, FILE *out, FILE *err);
int ctl_screenshot(int argc, char **argv, FILE *out, FILE *err);
int ctl_balloon(int argc, char **argv, FILE *out, FILE *err);
int ctl_spice_file(int argc, char **argv, FILE *out, FILE *err);
int ctl_snapshot(int argc, char **argv, FILE *out, FILE *err);

/* The exit-status table every VM command's --help ends with. */
extern const char ctl_vm_exit_help[];

#endif
