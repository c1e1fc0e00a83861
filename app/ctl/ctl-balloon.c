// SPDX-License-Identifier: GPL-2.0-or-later
/* vesselctl balloon set|stats: a running VM's memory balloon. */
#include <string.h>

#include "ctl-json.h"
#include "ctl-vm-private.h"
#include "ctl-vm.h"
#include "ctl.h"
#include "helper-cmdline.h"

static void usage(FILE *f)
{
	fputs("Usage: vesselctl balloon set VM SIZE\n"
	      "       vesselctl balloon stats VM [--json]\n"
	      "       vesselctl balloon auto VM on|off\n\n"
	      "set: ask the guest to keep SIZE of memory (e.g. 1G) and give the rest back to this\n"
	      "     computer, within the bounds of [balloon] min/max in the VM's .vessel file.\n"
	      "stats: the balloon's target and actual size, and the guest's memory statistics.\n"
	      "auto: the automatic policy: keep 15-30% of the guest's memory available, less\n"
	      "      while this computer is short of memory (a target set by hand turns it off).\n",
	      f);
	fputs(ctl_vm_exit_help, f);
}

static int balloon_set(struct ctl_vm *vm, const char *size, FILE *out, FILE *err)
{
	GError *error = NULL;
	uint64_t bytes;

	if (helper_parse_size(size, &bytes) || !bytes) {
		fprintf(err, "vesselctl balloon set: %s: expected a size such as 1G or 768M\n",
			size);
		return CTL_EXIT_USAGE;
	}
	if (!vessel_vm1_call_set_memory_target_sync(vm->proxy, bytes, NULL, &error)) {
		fprintf(err, "vesselctl balloon set: %s: %s\n", vm->vf->name,
			ctl_error_message(error));
		g_clear_error(&error);
		return CTL_EXIT_FAILED;
	}
	fprintf(out, "%s: asked the guest to keep %llu MiB (it has %llu MiB now)\n",
		vm->vf->name, (unsigned long long)(bytes >> 20),
		(unsigned long long)(vessel_vm1_get_memory_actual(vm->proxy) >> 20));
	return 0;
}

static int balloon_stats(struct ctl_vm *vm, bool json, FILE *out, FILE *err)
{
	g_autoptr(GVariant) stats = NULL;
	GError *error = NULL;
	struct ctl_json j;
	GVariantIter it;
	const char *name;
	guint64 v;

	if (!vessel_vm1_call_get_memory_stats_sync(vm->proxy, &stats, NULL, &error)) {
		fprintf(err, "vesselctl balloon stats: %s: %s\n", vm->vf->name,
			ctl_error_message(error));
		g_clear_error(&error);
		return CTL_EXIT_FAILED;
	}
	if (json) {
		ctl_json_init(&j, out);
		ctl_json_begin_object(&j, NULL);
		ctl_json_int(&j, "memory", (long long)vessel_vm1_get_memory_bytes(vm->proxy));
		ctl_json_int(&j, "target", (long long)vessel_vm1_get_memory_target(vm->proxy));
		ctl_json_int(&j, "actual", (long long)vessel_vm1_get_memory_actual(vm->proxy));
		ctl_json_begin_object(&j, "stats");
	} else {
		fprintf(out, "%s: memory %llu MiB, target %llu MiB, guest has %llu MiB\n",
			vm->vf->name,
			(unsigned long long)(vessel_vm1_get_memory_bytes(vm->proxy) >> 20),
			(unsigned long long)(vessel_vm1_get_memory_target(vm->proxy) >> 20),
			(unsigned long long)(vessel_vm1_get_memory_actual(vm->proxy) >> 20));
	}
	g_variant_iter_init(&it, stats);
	while (g_variant_iter_next(&it, "{&st}", &name, &v)) {
		if (json)
			ctl_json_int(&j, name, (long long)v);
		else
			fprintf(out, "  %-20s %llu\n", name, (unsigned long long)v);
	}
	if (json) {
		ctl_json_end_object(&j);
		ctl_json_end_object(&j);
		ctl_json_finish(&j);
	} else if (!g_variant_n_children(stats)) {
		fputs("  (the guest has sent no statistics yet)\n", out);
	}
	return 0;
}

static int balloon_auto(struct ctl_vm *vm, bool on, FILE *out, FILE *err)
{
	GError *error = NULL;

	if (!vessel_vm1_call_set_balloon_auto_sync(vm->proxy, on, NULL, &error)) {
		fprintf(err, "vesselctl balloon auto: %s: %s\n", vm->vf->name,
			ctl_error_message(error));
		g_clear_error(&error);
		return CTL_EXIT_FAILED;
	}
	fprintf(out, "%s: automatic memory balloon %s\n", vm->vf->name, on ? "on" : "off");
	return 0;
}

int ctl_balloon(int argc, char **argv, FILE *out, FILE *err)
{
	gboolean json = FALSE, help = FALSE;
	GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &json, "JSON for scripts", NULL },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &help, "Show this help", NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("");
	struct ctl_vm vm;
	bool set, autop;
	int ret;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!ctl_parse(ctx, &argc, &argv, err))
		return CTL_EXIT_USAGE;
	set = argc == 4 && !strcmp(argv[1], "set");
	autop = argc == 4 && !strcmp(argv[1], "auto") &&
		(!strcmp(argv[3], "on") || !strcmp(argv[3], "off"));
	if (help || !(set || autop || (argc == 3 && !strcmp(argv[1], "stats")))) {
		usage(help ? out : err);
		return help ? 0 : CTL_EXIT_USAGE;
	}
	ret = ctl_vm_open("balloon", argv[2], true, &vm, err);
	if (ret)
		return ret;
	if (autop)
		ret = balloon_auto(&vm, !strcmp(argv[3], "on"), out, err);
	else
		ret = set ? balloon_set(&vm, argv[3], out, err) : balloon_stats(&vm, json, out, err);
	ctl_vm_close(&vm);
	return ret;
}
