/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vessel-helper's command line: parsed and checked before any VM exists. */
#ifndef VESSEL_HELPER_CMDLINE_H
#define VESSEL_HELPER_CMDLINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "spice-vm.h"
#include "vm.h"

#define HELPER_MAX_BALLOON_STEPS	16

struct helper_options {
	struct vm_config vm;
	double timeout;			/* seconds; 0 = none */
	bool exit_stats;		/* print the exit histogram at the end */
	const char *firmware_log;	/* debug port 0x402 output file */
	bool help, version;
	const char *vessel_path;	/* NAME.vessel given as the one positional argument */
	struct vessel_file *vessel;	/* its parsed contents (strings in vm are borrowed) */
	const char *file_firmware;	/* the firmware the .vessel file chose */
	bool no_vga;			/* --vga none */
	const char *screenshot_exit;	/* --screenshot-on-exit FILE (PNG) */
	const char *text_exit;		/* --dump-text-on-exit FILE */
	double screenshot_at;		/* --screenshot-at SECONDS:FILE */
	const char *screenshot_at_file;
	double snapshot_at;		/* --snapshot-at SECONDS:DIR */
	const char *snapshot_at_dir;
	const char *restore_dir;	/* --restore DIR */
	bool spice;			/* --spice LISTEN */
	struct spice_listen spice_listen;
	const char *spice_password_file;	/* --spice-password-file FILE */
	unsigned spice_password_expires;	/* --spice-password-expires SECONDS; 0: never */
	const char *spice_vv_file;	/* --spice-file FILE.vv */
	struct spice_tls spice_tls;	/* --spice-tls CERT,KEY[,CA] (split in argv) */
	const char *control_socket;	/* --control-socket PATH, or "auto" */
	int control_fd;			/* --control-fd FD, or -1 */
	/* --balloon-target SIZE[@SECONDS], in command-line order (vm.balloon is --balloon). */
	struct helper_balloon_step {
		uint64_t bytes;
		double at;		/* seconds after start */
	} balloon_steps[HELPER_MAX_BALLOON_STEPS];
	unsigned nballoon_steps;
};

struct vessel_file;

/*
 * Parse argv into opts. A NAME.vessel argument loads that VM's configuration first; the
 * flags then override it (--disk/--cdrom add drives after the file's). Returns 0, or -EINVAL with a one-line message in err naming the flag
 * and what is allowed. Files named on the command line are checked to exist and be readable.
 */
int helper_parse_args(int argc, char **argv, struct helper_options *opts, char *err,
		      size_t errlen);

/* "512M", "2G", "1536MiB", "65536K", "4194304B"; a bare number means MiB. 0 or -EINVAL. */
int helper_parse_size(const char *s, uint64_t *out);

void helper_usage(FILE *out);
/* Free what helper_parse_args() loaded (the .vessel file). */
void helper_options_free(struct helper_options *o);

#endif
