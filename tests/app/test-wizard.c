// SPDX-License-Identifier: GPL-2.0-or-later
// The virtualization wizard on host-check fixture trees: pages per state, vendor cards, the
// firmware-attribute button, the real broker refusing over a private bus, the pending fix.
#include "../unit/tap.h"
#include "app-test.h"
#include "vessel-wizard.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>

static char *fixtures;		/* tests/fixtures/hostcheck */
static char *tmp;		/* this run's scratch folder */

struct opened {
	VesselWizard *w;
	struct hostcheck_fixture *fx;
};

static char *fixture_path(const char *name)
{
	return g_build_filename(fixtures, name, NULL);
}

static gboolean checked(gpointer data)
{
	VesselWizard *w = data;

	return vessel_wizard_get_state(w) >= 0 && !vessel_wizard_is_busy(w);
}

static GtkWidget *child(VesselWizard *w, const char *id)
{
	return GTK_WIDGET(gtk_widget_get_template_child(GTK_WIDGET(w), VESSEL_TYPE_WIZARD, id));
}

static gboolean settled(gpointer data)
{
	return !gtk_stack_get_transition_running(GTK_STACK(child(data, "stack")));
}

/* A wizard on the fixture tree dir (its probes.ini answers the probes). */
static struct opened open_dir(const char *dir, const char *state_file, GDBusConnection *bus)
{
	struct vessel_wizard_config cfg = { .root = dir, .state_file = state_file,
					    .broker_bus = bus, .logind_bus = bus };
	struct opened o = { 0 };
	char msg[256] = "";
	int err = 0;

	o.fx = hostcheck_fixture_load(dir, msg, sizeof(msg), &err);
	if (!o.fx) {
		printf("# fixture %s: %s\n", dir, msg);
		return o;
	}
	cfg.probes = hostcheck_fixture_probes(o.fx);
	o.w = vessel_wizard_new(NULL, &cfg);
	app_test_show(GTK_WINDOW(o.w), 640, 620);
	app_test_wait_for(checked, o.w, 10000);
	app_test_wait_for(settled, o.w, 2000);
	return o;
}

static struct opened open_fixture(const char *name, const char *state_file)
{
	g_autofree char *dir = fixture_path(name);

	return open_dir(dir, state_file, NULL);
}

static void close_wizard(struct opened *o)
{
	if (o->w)
		gtk_window_destroy(GTK_WINDOW(o->w));
	app_test_wait(50);
	if (o->fx)
		hostcheck_fixture_free(o->fx);
	memset(o, 0, sizeof(*o));
}

static gboolean shown(VesselWizard *w, const char *id)
{
	return gtk_widget_get_visible(child(w, id));
}

static void collect(GtkWidget *w, GString *out)
{
	if (!gtk_widget_get_visible(w))
		return;
	if (GTK_IS_LABEL(w)) {
		g_string_append(out, gtk_label_get_text(GTK_LABEL(w)));
		g_string_append_c(out, '\n');
	}
	for (GtkWidget *c = gtk_widget_get_first_child(w); c; c = gtk_widget_get_next_sibling(c))
		collect(c, out);
}

/* Every visible text of the page on show. */
static char *page_text(VesselWizard *w)
{
	GString *s = g_string_new(NULL);

	collect(gtk_stack_get_visible_child(GTK_STACK(child(w, "stack"))), s);
	return g_string_free(s, FALSE);
}

static gboolean page_has(VesselWizard *w, const char *needle)
{
	g_autofree char *text = page_text(w);
	gboolean found = strstr(text, needle) != NULL;

	if (!found)
		printf("# \"%s\" not on page %s:\n# %s\n", needle, vessel_wizard_get_page(w),
		       g_strdelimit(text, "\n", '|'));
	return found;
}

/* Page 1 → page 2, and wait for the slide to end so screenshots show one page. */
static void next(VesselWizard *w)
{
	gtk_widget_activate_action(GTK_WIDGET(w), "wizard.next", NULL);
	app_test_wait(50);
	app_test_wait_for(settled, w, 2000);
}

/* --- each state: first page, next page --- */

static const struct {
	const char *fixture;
	int state;
	const char *first;	/* on page 1 ("problem", or "success" when ready) */
	const char *page2;
	const char *second;	/* on the next page */
} states[] = {
	{ "intel-firmware-disabled", HOSTCHECK_FIRMWARE_DISABLED, "Intel Virtualization Technology",
	  "firmware", "Intel (R) Virtualization Technology" },
	{ "amd-firmware-disabled", HOSTCHECK_FIRMWARE_DISABLED, "SVM Mode", "firmware",
	  "SVM Mode" },
	{ "intel-module-not-loaded", HOSTCHECK_MODULE_NOT_LOADED, "kvm_intel", "module",
	  "Load the KVM Module" },
	{ "amd-module-not-loaded", HOSTCHECK_MODULE_NOT_LOADED, "kvm_amd", "module", "kvm_amd" },
	{ "intel-no-access", HOSTCHECK_NO_ACCESS, "/dev/kvm", "access", "udev rule" },
	{ "amd-no-access", HOSTCHECK_NO_ACCESS, "/dev/kvm", "access", "log out and back in" },
	{ "intel-busy", HOSTCHECK_BUSY, "holding the processor", "final", "Quit" },
	{ "amd-busy", HOSTCHECK_BUSY, "holding the processor", "final", "Quit" },
	{ "intel-nested-off", HOSTCHECK_NESTED_OFF, "VMware", "final", "Virtualize Intel VT-x" },
	{ "amd-nested-off", HOSTCHECK_NESTED_OFF, "virtual machine", "final", "nested" },
	{ "intel-no-vmx", HOSTCHECK_NO_CPU_SUPPORT, "VT-x", "final", "can't" },
	{ "amd-no-svm", HOSTCHECK_NO_CPU_SUPPORT, "AMD-V", "final", "can't" },
	{ "intel-too-old", HOSTCHECK_TOO_OLD, "Extended Page Tables", "final", "2010" },
	{ "amd-too-old", HOSTCHECK_TOO_OLD, "Nested Page Tables", "final", "2010" },
	{ "intel-ready", HOSTCHECK_READY, "Ready for Virtual Machines", NULL, NULL },
	{ "amd-ready", HOSTCHECK_READY, "full speed", NULL, NULL },
};

static void test_states(void)
{
	g_autofree char *state_file = g_build_filename(tmp, "states.conf", NULL);

	for (guint i = 0; i < G_N_ELEMENTS(states); i++) {
		struct opened o = open_fixture(states[i].fixture, state_file);
		const char *want1 = states[i].page2 ? "problem" : "success";
		g_autofree char *shot = NULL;

		if (!o.w) {
			ok(0, "%s: fixture loads", states[i].fixture);
			continue;
		}
		ok(vessel_wizard_get_state(o.w) == states[i].state &&
		   !strcmp(vessel_wizard_get_page(o.w), want1) && page_has(o.w, states[i].first),
		   "%s: state %d, page %s says \"%s\"", states[i].fixture,
		   vessel_wizard_get_state(o.w), vessel_wizard_get_page(o.w), states[i].first);
		if (states[i].page2) {
			shot = g_strdup_printf("wizard-problem-%s", states[i].fixture);
			app_test_screenshot(GTK_WIDGET(o.w), shot);
			next(o.w);
			g_free(shot);
			ok(!strcmp(vessel_wizard_get_page(o.w), states[i].page2) &&
			   page_has(o.w, states[i].second), "%s: next page %s says \"%s\"",
			   states[i].fixture, vessel_wizard_get_page(o.w), states[i].second);
		}
		shot = g_strdup_printf("wizard-%s-%s", vessel_wizard_get_page(o.w),
				       states[i].fixture);
		app_test_screenshot(GTK_WIDGET(o.w), shot);
		close_wizard(&o);
		g_unlink(state_file);
	}
}

/* --- fixture variants built in the scratch folder --- */

static char *copy_fixture(const char *name, const char *as)
{
	g_autofree char *src = fixture_path(name);
	char *dst = g_build_filename(tmp, as, NULL);
	const char *argv[] = { "cp", "-R", src, dst, NULL };
	int status = -1;

	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
		     &status, NULL);
	if (status != 0)
		printf("# cp -R %s %s failed\n", src, dst);
	return dst;
}

static void put(const char *dir, const char *rel, const char *text)
{
	g_autofree char *path = g_build_filename(dir, rel, NULL);
	g_autofree char *parent = g_path_get_dirname(path);

	g_mkdir_with_parents(parent, 0755);
	if (!g_file_set_contents(path, text, -1, NULL))
		printf("# cannot write %s\n", path);
}

static void set_logind(const char *dir, const char *answer)
{
	g_autofree char *path = g_build_filename(dir, "probes.ini", NULL);
	g_autofree char *text = NULL;
	g_autoptr(GRegex) re = g_regex_new("can_reboot_to_firmware_setup = \\w+", 0, 0, NULL);
	g_autofree char *with = g_strdup_printf("can_reboot_to_firmware_setup = %s", answer);
	g_autofree char *out = NULL;

	g_file_get_contents(path, &text, NULL, NULL);
	out = g_regex_replace_literal(re, text ? text : "", -1, 0, with, 0, NULL);
	g_file_set_contents(path, out, -1, NULL);
}

static void test_vendor_cards(void)
{
	g_autofree char *dell = copy_fixture("intel-firmware-disabled", "dell-firmware-disabled");
	struct opened o;

	o = open_fixture("intel-firmware-disabled", NULL);
	next(o.w);
	ok(page_has(o.w, "Firmware Setup of Lenovo ThinkPad") && page_has(o.w, "F1") &&
	   page_has(o.w, "Security → Virtualization") && page_has(o.w, "Intel TXT") &&
	   shown(o.w, "restart_button") && !shown(o.w, "fwattr_button"),
	   "Lenovo ThinkPad T480: its card (F1, Security → Virtualization), TXT gotcha, and "
	   "Restart into Firmware Setup (logind says yes)");
	close_wizard(&o);

	o = open_fixture("intel-firmware-disabled-user", NULL);
	next(o.w);
	ok(page_has(o.w, "Firmware Setup of HP business") && page_has(o.w, "F10") &&
	   page_has(o.w, "Virtualization Technology (VTx)"),
	   "HP EliteBook 840: the HP business card, F10, \"Virtualization Technology (VTx)\"");
	app_test_screenshot(GTK_WIDGET(o.w), "wizard-firmware-hp");
	close_wizard(&o);

	put(dell, "sys/class/dmi/id/sys_vendor", "Dell Inc.\n");
	put(dell, "sys/class/dmi/id/board_vendor", "Dell Inc.\n");
	put(dell, "sys/class/dmi/id/bios_vendor", "Dell Inc.\n");
	put(dell, "sys/class/dmi/id/product_name", "Latitude 5490\n");
	put(dell, "sys/class/dmi/id/product_family", "Latitude\n");
	put(dell, "sys/class/dmi/id/product_version", "\n");
	set_logind(dell, "na");
	o = open_dir(dell, NULL, NULL);
	next(o.w);
	ok(page_has(o.w, "Firmware Setup of Dell") && page_has(o.w, "press F2 at the Dell logo") &&
	   !shown(o.w, "restart_button") && !shown(o.w, "fwattr_button"),
	   "Dell Latitude, logind says na: the Dell card and the key to press, no restart button");
	app_test_screenshot(GTK_WIDGET(o.w), "wizard-firmware-dell");
	close_wizard(&o);
}

static void test_fwattr_button(void)
{
	g_autofree char *bare = copy_fixture("amd-firmware-disabled-lenovo", "lenovo-no-amdvt");
	g_autofree char *pending = copy_fixture("amd-firmware-disabled-lenovo", "lenovo-pending");
	g_autofree char *amdvt = g_build_filename(bare, "sys/class/firmware-attributes/thinklmi/"
						  "attributes/AmdVt", NULL);
	const char *argv[] = { "rm", "-r", amdvt, NULL };
	struct opened o;

	o = open_fixture("amd-firmware-disabled-lenovo", NULL);
	ok(gtk_window_get_default_widget(GTK_WINDOW(o.w)) == child(o.w, "next_button"),
	   "page 1: Enter means Show Me How");
	next(o.w);
	ok(gtk_window_get_default_widget(GTK_WINDOW(o.w)) == child(o.w, "fwattr_button"),
	   "firmware page: Enter means Enable It for Me");
	ok(shown(o.w, "fwattr_button") && !shown(o.w, "restart_button") &&
	   page_has(o.w, "AmdVt") && page_has(o.w, "AMD V(TM) Technology"),
	   "think-lmi exports AmdVt = Disable: \"Enable It for Me\" is offered");
	app_test_screenshot(GTK_WIDGET(o.w), "wizard-firmware-fwattr");
	close_wizard(&o);

	put(pending, "sys/class/firmware-attributes/thinklmi/attributes/pending_reboot", "1\n");
	o = open_dir(pending, NULL, NULL);
	next(o.w);
	ok(!shown(o.w, "fwattr_button") && page_has(o.w, "already waiting"),
	   "pending_reboot = 1: no button; shut down fully for the waiting change");
	close_wizard(&o);

	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
		     NULL);
	o = open_dir(bare, NULL, NULL);
	next(o.w);
	ok(!shown(o.w, "fwattr_button") && shown(o.w, "restart_button"),
	   "only WakeOnLAN (not allow-listed) left: no button, Restart into Firmware Setup instead");
	close_wizard(&o);
}

static void test_access_cases(void)
{
	g_autofree char *group = copy_fixture("intel-no-access", "no-access-group");
	g_autofree char *rule = copy_fixture("intel-no-access", "no-access-rule");
	g_autofree char *line = g_strdup_printf("root:x:0:\nkvm:x:4242421:nobody,%s\n",
						g_get_user_name());
	struct opened o;

	put(group, "etc/group", line);
	o = open_dir(group, NULL, NULL);
	next(o.w);
	ok(page_has(o.w, "this login started before you were added") &&
	   shown(o.w, "recheck_button"),
	   "listed in the kvm group but this login lacks it: log out and back in");
	close_wizard(&o);

	put(rule, "usr/lib/udev/rules.d/60-vessel-kvm.rules", "# test\n");
	o = open_dir(rule, NULL, NULL);
	next(o.w);
	ok(page_has(o.w, "It applies from the next login"), "the udev rule is installed: log out");
	close_wizard(&o);

	o = open_fixture("intel-no-access", NULL);
	next(o.w);
	ok(page_has(o.w, "is not installed") && page_has(o.w, "usermod -aG kvm"),
	   "no udev rule: install it, or join the kvm group");
	app_test_screenshot(GTK_WIDGET(o.w), "wizard-access-no-rule");
	gtk_widget_activate_action(GTK_WIDGET(o.w), "wizard.recheck", NULL);
	ok(vessel_wizard_is_busy(o.w) && !strcmp(vessel_wizard_get_page(o.w), "checking"),
	   "Check Again runs the check (in its thread) behind the checking page");
	app_test_wait_for(checked, o.w, 10000);
	ok(!strcmp(vessel_wizard_get_page(o.w), "problem") &&
	   vessel_wizard_get_state(o.w) == HOSTCHECK_NO_ACCESS,
	   "and comes back with the state that remains");
	close_wizard(&o);
}

/* --- the real vessel-broker on this test's private session bus (run-x.sh) --- */

static GPid broker_pid;

static gboolean name_owned(gpointer data)
{
	g_autoptr(GVariant) r = g_dbus_connection_call_sync(data, "org.freedesktop.DBus",
		"/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
		g_variant_new("(s)", "io.github.vesselvm.Vessel.Broker1"), NULL,
		G_DBUS_CALL_FLAGS_NONE, 2000, NULL, NULL);

	return r != NULL;
}

/* The broker over root; without polkit on this bus it answers NotAuthorized. */
static GDBusConnection *start_broker(const char *root)
{
	const char *broker = g_getenv("VESSEL_BROKER");
	const char *address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
	const char *argv[] = { broker, "--address", address, "--root", root, "--idle-timeout", "0",
			       NULL };
	g_autoptr(GError) error = NULL;
	GDBusConnection *bus;

	if (!broker || !address) {
		printf("# VESSEL_BROKER or DBUS_SESSION_BUS_ADDRESS not set\n");
		return NULL;
	}
	if (!g_spawn_async(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL,
			   &broker_pid, &error)) {
		printf("# %s: %s\n", broker, error->message);
		return NULL;
	}
	bus = g_dbus_connection_new_for_address_sync(address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
	if (bus && !app_test_wait_for(name_owned, bus, 10000))
		printf("# the broker did not take its name\n");
	return bus;
}

static void stop_broker(GDBusConnection *bus)
{
	if (broker_pid > 0) {
		kill(broker_pid, SIGTERM);
		waitpid(broker_pid, NULL, 0);
		g_spawn_close_pid(broker_pid);
		broker_pid = 0;
	}
	g_clear_object(&bus);
}

static gboolean answered(gpointer data)
{
	VesselWizard *w = data;

	return vessel_wizard_get_message(w) && !vessel_wizard_is_busy(w);
}

static gboolean says(VesselWizard *w, const char *needle)
{
	const char *m = vessel_wizard_get_message(w);

	printf("# message: %s\n", m ? m : "(none)");
	return m && strstr(m, needle);
}

static void test_broker(void)
{
	g_autofree char *root = copy_fixture("amd-firmware-disabled-lenovo", "broker-root");
	g_autofree char *value = g_build_filename(root, "sys/class/firmware-attributes/thinklmi/"
						  "attributes/AmdVt/current_value", NULL);
	g_autofree char *after = NULL;
	GDBusConnection *bus = start_broker(root);
	g_autofree char *module = fixture_path("intel-module-not-loaded");
	struct opened o;

	ok(bus != NULL, "vessel-broker runs on a private bus over a copy of the Lenovo fixture");
	if (!bus)
		return;
	o = open_dir(root, NULL, bus);
	next(o.w);
	gtk_widget_activate_action(GTK_WIDGET(o.w), "wizard.enable-fwattr", NULL);
	app_test_wait_for(answered, o.w, 20000);
	g_file_get_contents(value, &after, NULL, NULL);
	ok(says(o.w, "did not allow") && says(o.w, "polkit") && shown(o.w, "fwattr_button") &&
	   after && g_str_has_prefix(after, "Disable"),
	   "SetFirmwareAttribute refused (NotAuthorized): the page says so, nothing changed");
	app_test_screenshot(GTK_WIDGET(o.w), "wizard-firmware-refused");
	close_wizard(&o);

	o = open_dir(module, NULL, bus);
	next(o.w);
	gtk_widget_activate_action(GTK_WIDGET(o.w), "wizard.load-module", NULL);
	app_test_wait_for(answered, o.w, 20000);
	ok(says(o.w, "could not load the KVM module") && says(o.w, "did not allow") &&
	   !strcmp(vessel_wizard_get_page(o.w), "module"),
	   "LoadKvmModule refused (NotAuthorized): the module page says so");
	app_test_screenshot(GTK_WIDGET(o.w), "wizard-module-refused");
	close_wizard(&o);

	g_autofree char *access = fixture_path("intel-no-access");
	o = open_dir(access, NULL, bus);
	next(o.w);
	ok(shown(o.w, "access_button"), "no udev rule: a Give Me Access button");
	gtk_widget_activate_action(GTK_WIDGET(o.w), "wizard.install-access", NULL);
	app_test_wait_for(answered, o.w, 20000);
	ok(says(o.w, "could not give you access") && says(o.w, "did not allow"),
	   "InstallKvmAccessRule refused (NotAuthorized): the access page says so");
	close_wizard(&o);
	stop_broker(bus);
}

/* logind is not on the private bus: the restart must fail aloud, never reboot this machine. */
static void test_restart(void)
{
	g_autofree char *file = g_build_filename(tmp, "restart.conf", NULL);
	g_autofree char *dir = fixture_path("intel-firmware-disabled");
	const char *address = g_getenv("DBUS_SESSION_BUS_ADDRESS");
	g_autoptr(GDBusConnection) bus = address ? g_dbus_connection_new_for_address_sync(address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, NULL) : NULL;
	g_autofree char *text = NULL;
	struct opened o;

	if (!bus) {
		ok(0, "a private session bus for logind calls");
		return;
	}
	o = open_dir(dir, file, bus);
	next(o.w);
	g_unlink(file);
	gtk_widget_activate_action(GTK_WIDGET(o.w), "wizard.restart-firmware", NULL);
	app_test_wait(100);
	ok(vessel_wizard_get_dialog(o.w) != NULL, "Restart into Firmware Setup asks first");
	app_test_screenshot(GTK_WIDGET(vessel_wizard_get_dialog(o.w)), "wizard-restart-dialog");
	adw_message_dialog_response(ADW_MESSAGE_DIALOG(vessel_wizard_get_dialog(o.w)), "cancel");
	app_test_wait(100);
	ok(!vessel_wizard_get_message(o.w) && !vessel_wizard_is_busy(o.w) &&
	   !g_file_test(file, G_FILE_TEST_EXISTS), "Cancel: nothing is called or remembered");

	gtk_widget_activate_action(GTK_WIDGET(o.w), "wizard.restart-firmware", NULL);
	app_test_wait(100);
	if (vessel_wizard_get_dialog(o.w))
		adw_message_dialog_response(ADW_MESSAGE_DIALOG(vessel_wizard_get_dialog(o.w)),
					    "restart");
	app_test_wait_for(answered, o.w, 20000);
	g_file_get_contents(file, &text, NULL, NULL);
	ok(says(o.w, "Could not restart into the firmware setup") &&
	   says(o.w, "not installed or not running") && text && strstr(text, "fix=firmware"),
	   "Restart with no logind on the bus: the page says so; the fix is remembered");
	close_wizard(&o);
}

static void test_pending(void)
{
	g_autofree char *file = g_build_filename(tmp, "state", "vessel", "wizard.conf", NULL);
	g_autofree char *text = NULL;
	struct opened o;

	o = open_fixture("intel-firmware-disabled", file);
	next(o.w);
	g_file_get_contents(file, &text, NULL, NULL);
	ok(text && strstr(text, "state=firmware-disabled") && strstr(text, "fix=firmware"),
	   "showing the firmware steps remembers the pending fix");
	close_wizard(&o);

	o = open_fixture("intel-firmware-disabled", file);
	ok(shown(o.w, "pending_label") && page_has(o.w, "still switched off"),
	   "next start, still disabled: says so, and to power off fully");
	close_wizard(&o);

	o = open_fixture("intel-module-not-loaded", file);
	ok(vessel_wizard_get_state(o.w) == HOSTCHECK_MODULE_NOT_LOADED &&
	   page_has(o.w, "Your last change worked"),
	   "next start, firmware fixed but the module is missing: the more specific state");
	close_wizard(&o);

	o = open_fixture("intel-ready", file);
	ok(!strcmp(vessel_wizard_get_page(o.w), "success") &&
	   page_has(o.w, "Virtualization Is On Now") && !g_file_test(file, G_FILE_TEST_EXISTS),
	   "next start, ready: success, and the memory is cleared");
	app_test_screenshot(GTK_WIDGET(o.w), "wizard-success-after-fix");
	close_wizard(&o);

	g_file_set_contents(file, "[pending]\nstate=../../etc\nfix=rm -rf\n\xff\xfe", -1, NULL);
	o = open_fixture("intel-firmware-disabled", file);
	ok(!shown(o.w, "pending_label") && !strcmp(vessel_wizard_get_page(o.w), "problem"),
	   "a garbled memory file is ignored");
	close_wizard(&o);
}

int main(void)
{
	if (!app_test_init())
		skip_all("no display");
	fixtures = g_strdup(g_getenv("HOSTCHECK_FIXTURES"));
	if (!fixtures)
		skip_all("HOSTCHECK_FIXTURES not set (run through meson test)");
	tmp = app_test_tmpdir();
	test_states();
	test_vendor_cards();
	test_fwattr_button();
	test_access_cases();
	test_broker();
	test_restart();
	test_pending();
	app_test_rmtree(tmp);
	return tap_done();
}
