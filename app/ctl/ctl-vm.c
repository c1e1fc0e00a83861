// SPDX-License-Identifier: GPL-2.0-or-later
/* vesselctl create and list: the user's VM library from the command line. */
#include "ctl-vm.h"

#include <errno.h>
#include <unistd.h>
#include <glib.h>

#include "ctl-json.h"
#include "ctl-vm-private.h"
#include "ctl.h"
#include "helper-cmdline.h"
#include "library.h"

const char ctl_vm_exit_help[] =
	"\nExit status: 0 done; 1 the VM or the host refused (the message says why);\n"
	"  3 the VM is not running; 64 bad command line or no such VM; 70 internal error.\n";

/* GOption parsing shared by the VM commands; false with a message on a bad command line. */
bool ctl_parse(GOptionContext *ctx, int *argc, char ***argv, FILE *err)
{
	GError *error = NULL;

	g_option_context_set_help_enabled(ctx, FALSE);
	if (!g_option_context_parse(ctx, argc, argv, &error)) {
		fprintf(err, "vesselctl %s: %s\n", (*argv)[0], error->message);
		g_clear_error(&error);
		return false;
	}
	return true;
}

static bool size_arg(const char *flag, const char *s, uint64_t *out, FILE *err)
{
	if (s && (helper_parse_size(s, out) || !*out)) {
		fprintf(err, "vesselctl create: %s %s: expected a size such as 2G or 512M\n",
			flag, s);
		return false;
	}
	return true;
}

/* Memory and CPUs a new VM gets when not told: a quarter of the host's RAM up to 4 GiB, 2 CPUs. */
static void host_defaults(uint64_t *memory, unsigned *cpus)
{
	long pages = sysconf(_SC_PHYS_PAGES), psz = sysconf(_SC_PAGESIZE);
	uint64_t quarter = pages > 0 && psz > 0 ? (uint64_t)pages * (uint64_t)psz / 4 : 0;

	*memory = MIN(MAX(quarter, 1024ull << 20), 4096ull << 20) & ~((1ull << 20) - 1);
	*cpus = MIN(2, MAX(1, (int)sysconf(_SC_NPROCESSORS_ONLN)));
}

int ctl_create(int argc, char **argv, FILE *out, FILE *err)
{
	g_autofree char *dir = NULL, *mem = NULL, *disk = NULL, *cdrom = NULL;
	gboolean help = FALSE;
	int cpus = 0;
	GOptionEntry entries[] = {
		{ "dir", 0, 0, G_OPTION_ARG_FILENAME, &dir, "Parent folder", "DIR" },
		{ "memory", 0, 0, G_OPTION_ARG_STRING, &mem, "Guest RAM", "SIZE" },
		{ "cpus", 0, 0, G_OPTION_ARG_INT, &cpus, "Virtual CPUs", "N" },
		{ "disk-size", 0, 0, G_OPTION_ARG_STRING, &disk, "Disk size (qcow2)", "SIZE" },
		{ "cdrom", 0, 0, G_OPTION_ARG_FILENAME, &cdrom, "Install medium", "ISO" },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("NAME");
	struct vessel_new_vm n = { 0 };
	g_autofree char *defdir = NULL;
	struct vessel_file *vf;
	GError *error = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!ctl_parse(ctx, &argc, &argv, err))
		return CTL_EXIT_USAGE;
	if (help || argc != 2) {
		fputs("Usage: vesselctl create NAME [--dir DIR] [--memory SIZE] [--cpus N]\n"
		      "                         [--disk-size SIZE] [--cdrom ISO]\n\n"
		      "Make DIR/NAME/ with NAME.vessel (DIR defaults to the library's first folder,\n"
		      "~/Virtual Machines), a qcow2 disk of --disk-size (default 20G; 0 for none)\n"
		      "and the install medium in its CD-ROM drive. Memory defaults to a quarter of\n"
		      "this computer's RAM (1G to 4G), CPUs to 2.\n", help ? out : err);
		fputs(ctl_vm_exit_help, help ? out : err);
		return help ? 0 : CTL_EXIT_USAGE;
	}
	host_defaults(&n.memory, &n.cpus);
	n.disk_size = 20ull << 30;
	if (disk && !strcmp(disk, "0"))
		n.disk_size = 0;
	else if (!size_arg("--disk-size", disk, &n.disk_size, err))
		return CTL_EXIT_USAGE;
	if (!size_arg("--memory", mem, &n.memory, err))
		return CTL_EXIT_USAGE;
	if (cpus)
		n.cpus = (unsigned)cpus;
	n.name = argv[1];
	n.dir = dir;
	n.cdrom = cdrom;
	vf = vessel_vm_create(&n, &error);
	if (!vf) {
		fprintf(err, "vesselctl create: %s\n", error->message);
		g_clear_error(&error);
		return CTL_EXIT_FAILED;
	}
	fprintf(out, "Created %s (%u MiB, %u CPU%s%s%s)\n", vf->path,
		(unsigned)(vf->memory >> 20), vf->cpus, vf->cpus == 1 ? "" : "s",
		vf->ndisks ? ", a disk" : "", vf->cdrom ? ", install medium inserted" : "");
	vessel_file_free(vf);
	return 0;
}

static void list_one(const char *path, struct ctl_json *j, FILE *out)
{
	struct vessel_file *vf = NULL;
	GError *error = NULL;
	struct ctl_vm_status st = { 0 };

	if (vessel_file_load(path, &vf, &error) < 0) {
		if (j) {
			ctl_json_begin_object(j, NULL);
			ctl_json_string(j, "file", path);
			ctl_json_string(j, "error", error->message);
			ctl_json_end_object(j);
		} else {
			fprintf(out, "%-20s %-9s %s\n", "?", "broken", error->message);
		}
		g_clear_error(&error);
		return;
	}
	ctl_vm_query(vf, &st);
	if (j) {
		ctl_json_begin_object(j, NULL);
		ctl_json_string(j, "name", vf->name);
		ctl_json_string(j, "uuid", vf->uuid);
		ctl_json_string(j, "file", vf->path);
		ctl_json_string(j, "state", st.state);
		ctl_json_int(j, "memory", (long long)vf->memory);
		ctl_json_int(j, "cpus", vf->cpus);
		ctl_json_end_object(j);
	} else {
		fprintf(out, "%-20s %-9s %5u MiB %2u CPU  %s\n", vf->name, st.state,
			(unsigned)(vf->memory >> 20), vf->cpus, vf->path);
	}
	ctl_vm_status_clear(&st);
	vessel_file_free(vf);
}

int ctl_list(int argc, char **argv, FILE *out, FILE *err)
{
	gboolean json = FALSE, help = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON for scripts", NULL },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("");
	g_auto(GStrv) vms = NULL;
	struct ctl_json j;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!ctl_parse(ctx, &argc, &argv, err))
		return CTL_EXIT_USAGE;
	if (help || argc != 1) {
		fputs("Usage: vesselctl list [--json]\n\nThe VMs in the library's folders "
		      "(~/Virtual Machines unless\n$XDG_CONFIG_HOME/vessel/library.conf names others) "
		      "and recently opened ones.\n", help ? out : err);
		fputs(ctl_vm_exit_help, help ? out : err);
		return help ? 0 : CTL_EXIT_USAGE;
	}
	vms = vessel_library_list();
	if (json) {
		ctl_json_init(&j, out);
		ctl_json_begin_array(&j, NULL);
	} else if (!vms[0]) {
		g_auto(GStrv) folders = vessel_library_folders();

		fprintf(out, "No VMs in %s yet; make one with 'vesselctl create NAME'.\n",
			folders[0]);
	}
	for (unsigned i = 0; vms[i]; i++)
		list_one(vms[i], json ? &j : NULL, out);
	if (json) {
		ctl_json_end_array(&j);
		ctl_json_finish(&j);
	}
	return 0;
}
