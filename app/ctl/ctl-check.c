// SPDX-License-Identifier: GPL-2.0-or-later
/* vesselctl check: can this computer run virtual machines, and if not, what to do next. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <glib.h>

#include "ctl-check.h"
#include "ctl.h"
#include "hostcheck.h"

#define WRAP_COLUMNS 78

/* Short forms for --help's exit status table; the numbers come from hostcheck.h. */
static const char *const state_help[HOSTCHECK_STATE_COUNT] = {
	[HOSTCHECK_READY] = "KVM works; virtual machines run at full speed",
	[HOSTCHECK_NO_CPU_SUPPORT] = "not x86-64, or the processor has no VT-x/AMD-V",
	[HOSTCHECK_NESTED_OFF] = "inside a virtual machine without nested virtualization",
	[HOSTCHECK_FIRMWARE_DISABLED] = "VT-x/AMD-V switched off in the firmware (BIOS/UEFI)",
	[HOSTCHECK_MODULE_NOT_LOADED] = "kvm_intel/kvm_amd not loaded, or blacklisted",
	[HOSTCHECK_NO_ACCESS] = "/dev/kvm exists but this user may not open it",
	[HOSTCHECK_BUSY] = "another hypervisor (VirtualBox, VMware) holds VT-x/AMD-V",
	[HOSTCHECK_TOO_OLD] = "no EPT/NPT or unrestricted guest, or an old KVM API",
};

struct check_options {
	gboolean json, help;
	gchar *root, *fixture;
};

static void print_help(FILE *out)
{
	fputs("Usage: vesselctl check [--json] [--root DIR]\n\n"
	      "Check whether this computer can run Vessel's virtual machines with KVM; if not,\n"
	      "explain why in the words the firmware setup uses, and say what to do next.\n\n"
	      "Options:\n"
	      "  --json       Print the result as JSON, for scripts\n"
	      "  --root DIR   Read /proc, /sys, /etc and /dev/kmsg under DIR instead of /\n"
	      "  -h, --help   Show this help\n\n"
	      "Exit status (also \"code\" in the JSON; the numbers never change):\n", out);
	for (int s = 0; s < HOSTCHECK_STATE_COUNT; s++)
		fprintf(out, "  %-3d %-18s %s\n", s, hostcheck_state_name(s), state_help[s]);
	fprintf(out, "  %-3d %-18s %s\n", CTL_EXIT_USAGE, "usage", "bad command line");
	fprintf(out, "  %-3d %-18s %s\n", CTL_EXIT_SOFTWARE, "internal", "the check itself failed");
}

/* GOptionContext reorders argv; parse a copy so callers (and tests) keep theirs. */
static int parse_options(int argc, char **argv, struct check_options *o, FILE *err)
{
	const GOptionEntry entries[] = {
		{ "json", 0, 0, G_OPTION_ARG_NONE, &o->json, NULL, NULL },
		{ "root", 0, 0, G_OPTION_ARG_FILENAME, &o->root, NULL, NULL },
		{ "help", 'h', 0, G_OPTION_ARG_NONE, &o->help, NULL, NULL },
		/* Tests: DIR is the root and DIR/probes.ini answers CPUID, MSR, KVM and logind. */
		{ "fixture", 0, G_OPTION_FLAG_HIDDEN, G_OPTION_ARG_FILENAME, &o->fixture, NULL, NULL },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new(NULL);
	g_autofree char **copy = g_new0(char *, argc + 1);
	g_autoptr(GError) gerr = NULL;
	int n = argc;
	char **v = copy;

	memcpy(copy, argv, sizeof(char *) * argc);
	g_option_context_set_help_enabled(ctx, FALSE);
	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &n, &v, &gerr)) {
		fprintf(err, "vesselctl check: %s (see --help)\n", gerr->message);
		return -EINVAL;
	}
	if (n > 1) {
		fprintf(err, "vesselctl check: unexpected argument '%s' (see --help)\n", v[1]);
		return -EINVAL;
	}
	return 0;
}

/* A word ends at a space outside `code spans`: commands are never broken across lines. */
static size_t word_len(const char *t)
{
	bool code = false;
	size_t n;

	for (n = 0; t[n] && (code || t[n] != ' '); n++) {
		if (t[n] == '`')
			code = !code;
	}
	return n;
}

/* Word-wrap one paragraph: the first line starts after lead, the others after indent. */
static void wrap(FILE *out, const char *lead, const char *indent, const char *text)
{
	size_t col = strlen(lead);
	bool line_empty = true;

	fputs(lead, out);
	while (*text) {
		size_t word = word_len(text);

		if (!line_empty && col + 1 + word > WRAP_COLUMNS) {
			fprintf(out, "\n%s", indent);
			col = strlen(indent);
			line_empty = true;
		}
		if (!line_empty) {
			fputc(' ', out);
			col++;
		}
		fwrite(text, 1, word, out);
		col += word;
		line_empty = false;
		text += word;
		while (*text == ' ')
			text++;
	}
	fputc('\n', out);
}

static void print_human(FILE *out, const struct hostcheck_facts *f,
			const struct hostcheck_result *r, const struct hostcheck_advice *a)
{
	fprintf(out, "%s\n\n", a->title);
	wrap(out, "", "", a->summary);
	if (a->n_steps)
		fputs("\nWhat to do:\n", out);
	for (int i = 0; i < a->n_steps; i++) {
		char lead[16];

		snprintf(lead, sizeof(lead), "  %d. ", i + 1);
		wrap(out, lead, "     ", a->steps[i]);
	}
	if (a->n_notes)
		fputc('\n', out);
	for (int i = 0; i < a->n_notes; i++)
		wrap(out, "", "", a->notes[i]);
	fputs("\nFound:\n", out);
	for (int i = 0; i < r->n_evidence; i++)
		wrap(out, "  - ", "    ", r->evidence[i]);
	fprintf(out, "\nState %d (%s, %s). For scripts: vesselctl check --json\n", r->state,
		hostcheck_state_name(r->state), hostcheck_reason_name(r->reason));
}

static int run_check(const struct check_options *o, FILE *out, FILE *err)
{
	const struct hostcheck_probes *probes = hostcheck_system_probes();
	struct hostcheck_fixture *fx = NULL;
	const char *root = o->root ? o->root : "/";
	struct hostcheck_facts *f = g_new0(struct hostcheck_facts, 1);
	struct hostcheck_result r;
	struct hostcheck_advice a;
	char msg[512];
	int ret;

	if (o->fixture) {
		fx = hostcheck_fixture_load(o->fixture, msg, sizeof(msg), &ret);
		if (!fx) {
			fprintf(err, "vesselctl check: fixture %s\n", msg);
			g_free(f);
			return CTL_EXIT_SOFTWARE;
		}
		probes = hostcheck_fixture_probes(fx);
		root = o->fixture;
	}
	hostcheck_gather(root, probes, f);
	hostcheck_decide(f, &r);
	hostcheck_advise(f, &r, &a);
	if (o->json)
		ctl_check_print_json(out, f, &r, &a);
	else
		print_human(out, f, &r, &a);
	hostcheck_fixture_free(fx);
	g_free(f);
	return (int)r.state;
}

int ctl_check(int argc, char **argv, FILE *out, FILE *err)
{
	struct check_options o = { 0 };
	int status;

	if (parse_options(argc, argv, &o, err)) {
		status = CTL_EXIT_USAGE;
	} else if (o.help) {
		print_help(out);
		status = 0;
	} else {
		status = run_check(&o, out, err);
	}
	fflush(out);
	g_free(o.root);
	g_free(o.fixture);
	return status;
}
