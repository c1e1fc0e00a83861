// SPDX-License-Identifier: GPL-2.0-or-later
/* vesselctl: the command line for everything the app does; dispatches to one command. */
#include <stdio.h>
#include <string.h>

#include "ctl-disk.h"
#include "ctl-vm.h"
#include "ctl.h"

/* One row per command; later issues add usb. */
static const struct ctl_command commands[] = {
	{ "create", "Make a new VM in the library (folder, .vessel file, disk)", ctl_create },
	{ "list", "List the VMs in the library and whether they run", ctl_list },
	{ "run", "Start a VM (--headless: in the background, no window)", ctl_run },
	{ "status", "Show whether a VM runs, and its resources", ctl_status },
	{ "pause", "Pause a running VM", ctl_pause },
	{ "resume", "Resume a paused VM", ctl_resume },
	{ "reset", "Reset a VM (the guest restarts at once)", ctl_reset },
	{ "stop", "Shut a VM down (--force: power off at once)", ctl_stop },
	{ "screenshot", "Save a running VM's screen as PNG", ctl_screenshot },
	{ "snapshot", "Save, list, restore and delete a VM's snapshots", ctl_snapshot },
	{ "spice-file", "Write a remote-viewer (.vv) file for a VM shared over SPICE",
	  ctl_spice_file },
	{ "balloon", "Set a running VM's memory target, show its memory statistics",
	  ctl_balloon },
	{ "check", "Check whether this computer can run virtual machines, and how to fix it",
	  ctl_check },
	{ "disk", "Create, inspect, check and commit disk images (qcow2)", ctl_disk },
};

#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	fputs("Usage: vesselctl COMMAND [OPTIONS]\n\nCommands:\n", out);
	for (size_t i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'vesselctl COMMAND --help' for a command's options.\n", out);
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (!cmd) {
		usage(stderr);
		return CTL_EXIT_USAGE;
	}
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		puts("vesselctl " VESSEL_VERSION);
		return 0;
	}
	for (size_t i = 0; i < N_COMMANDS; i++) {
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(argc - 1, argv + 1, stdout, stderr);
	}
	fprintf(stderr, "vesselctl: unknown command '%s'\n", cmd);
	usage(stderr);
	return CTL_EXIT_USAGE;
}
