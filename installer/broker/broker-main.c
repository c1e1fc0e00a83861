// SPDX-License-Identifier: GPL-2.0-or-later
/* vessel-broker: Broker1 on the system bus; arguments checked, polkit asked, one thing done. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gio/gio.h>
#include <gio/gunixfdlist.h>

#include "broker-ops.h"
#include "broker-validate.h"
#include "control-common.h"
#include "vessel-broker-dbus.h"

#define BROKER_NAME	"io.github.vesselvm.Vessel.Broker1"
#define BROKER_PATH	"/io/github/vesselvm/Vessel/Broker"
#define ACTION_PREFIX	"io.github.vesselvm.vessel."
/* polkit's CheckAuthorization flag AllowUserInteraction (org.freedesktop.PolicyKit1.Authority). */
#define POLKIT_ALLOW_INTERACTION	1u

struct broker {
	GDBusConnection *bus;
	VesselBroker1 *skel;
	GMainLoop *loop;
	const char *root;
	unsigned idle_timeout;
	guint idle_source;
	unsigned busy;
};

/* One authorized call: what to do once polkit says yes. */
struct pending {
	struct broker *b;
	GDBusMethodInvocation *inv;
	void (*run)(struct pending *p);
	char *s1, *s2, *s3;
	guint32 u1, u2;
};

static gboolean idle_quit(gpointer data)
{
	struct broker *b = data;

	b->idle_source = 0;
	if (!b->busy)
		g_main_loop_quit(b->loop);
	return G_SOURCE_REMOVE;
}

static void rearm_idle(struct broker *b)
{
	if (b->idle_source)
		g_source_remove(b->idle_source);
	b->idle_source = b->idle_timeout ? g_timeout_add_seconds(b->idle_timeout, idle_quit, b) : 0;
}

static void pending_free(struct pending *p)
{
	p->b->busy--;
	rearm_idle(p->b);
	g_object_unref(p->inv);
	g_free(p->s1);
	g_free(p->s2);
	g_free(p->s3);
	g_free(p);
}

static void reply_error(GDBusMethodInvocation *inv, int err, const char *msg)
{
	g_dbus_method_invocation_return_error_literal(inv, VESSEL_ERROR,
		err == -EINVAL ? VESSEL_ERROR_INVALID_ARGUMENT : vessel_error_from_errno(err), msg);
}

static void reply_fd(GDBusMethodInvocation *inv, int fd)
{
	g_autoptr(GUnixFDList) fds = g_unix_fd_list_new_from_array(&fd, 1);	/* takes fd */

	g_dbus_method_invocation_return_value_with_unix_fd_list(inv, g_variant_new("(h)", 0), fds);
}

static void authorized(GObject *src, GAsyncResult *res, gpointer data)
{
	struct pending *p = data;
	g_autoptr(GVariant) r = NULL;
	GError *error = NULL;
	gboolean ok = FALSE, challenge = FALSE;

	r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, &error);
	if (r)
		g_variant_get(r, "((bb@a{ss}))", &ok, &challenge, NULL);
	if (ok) {
		p->run(p);
	} else if (error && (g_dbus_error_is_remote_error(error) &&
			     (strstr(error->message, "ServiceUnknown") ||
			      strstr(error->message, "NameHasNoOwner")))) {
		g_dbus_method_invocation_return_error_literal(p->inv, VESSEL_ERROR,
			VESSEL_ERROR_NOT_AUTHORIZED, "polkit is not running on this system, so "
			"nothing can be authorized; install and start polkitd");
	} else {
		g_dbus_method_invocation_return_error(p->inv, VESSEL_ERROR,
			VESSEL_ERROR_NOT_AUTHORIZED, "not authorized%s%s", error ? ": " : " (the "
			"administrator's password was not given)", error ? error->message : "");
	}
	g_clear_error(&error);
	pending_free(p);
}

/* Ask polkit whether the caller may do action; p->run follows if yes. */
static void authorize(struct pending *p, const char *verb)
{
	const char *sender = g_dbus_method_invocation_get_sender(p->inv);
	g_autofree char *action = g_strconcat(ACTION_PREFIX, verb, NULL);
	GVariantBuilder subject, details;

	g_variant_builder_init(&subject, G_VARIANT_TYPE("a{sv}"));
	g_variant_builder_add(&subject, "{sv}", "name", g_variant_new_string(sender ? sender : ""));
	g_variant_builder_init(&details, G_VARIANT_TYPE("a{ss}"));
	g_dbus_connection_call(p->b->bus, "org.freedesktop.PolicyKit1",
		"/org/freedesktop/PolicyKit1/Authority", "org.freedesktop.PolicyKit1.Authority",
		"CheckAuthorization", g_variant_new("((sa{sv})sa{ss}us)", "system-bus-name",
		&subject, action, &details, POLKIT_ALLOW_INTERACTION, ""),
		G_VARIANT_TYPE("((bba{ss}))"), G_DBUS_CALL_FLAGS_NONE, G_MAXINT, NULL, authorized, p);
}

static struct pending *pending_new(struct broker *b, GDBusMethodInvocation *inv,
				   void (*run)(struct pending *))
{
	struct pending *p = g_new0(struct pending, 1);

	p->b = b;
	p->inv = g_object_ref(inv);
	p->run = run;
	b->busy++;
	return p;
}

/* ---- the methods: validate now, act after polkit ---- */

static void run_usb(struct pending *p)
{
	char err[256];
	int fd, ret = broker_open_usb(p->b->root, p->s1, &fd, err, sizeof(err));

	if (ret)
		reply_error(p->inv, ret, err);
	else
		reply_fd(p->inv, fd);
}

static gboolean on_usb(VesselBroker1 *s, GDBusMethodInvocation *inv, GUnixFDList *fds,
		       const char *path, gpointer data)
{
	struct pending *p;

	if (!broker_usb_path_ok(path)) {
		reply_error(inv, -EINVAL, "not a USB device node (expected /dev/bus/usb/BBB/DDD)");
		return TRUE;
	}
	p = pending_new(data, inv, run_usb);
	p->s1 = g_strdup(path);
	authorize(p, "open-usb-device");
	return TRUE;
}

static void run_tap(struct pending *p)
{
	const char *sender = g_dbus_method_invocation_get_sender(p->inv);
	g_autoptr(GVariant) r = NULL;
	guint32 uid = 0;
	char err[256];
	int fd, ret;

	r = g_dbus_connection_call_sync(p->b->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
		"org.freedesktop.DBus", "GetConnectionUnixUser", g_variant_new("(s)", sender),
		G_VARIANT_TYPE("(u)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, NULL);
	if (!r) {
		reply_error(p->inv, -EPERM, "the caller's user cannot be determined");
		return;
	}
	g_variant_get(r, "(u)", &uid);
	ret = broker_create_tap(p->b->root, p->s1, p->s2, (uid_t)uid, &fd, err, sizeof(err));
	if (ret)
		reply_error(p->inv, ret, err);
	else
		reply_fd(p->inv, fd);
}

static gboolean on_tap(VesselBroker1 *s, GDBusMethodInvocation *inv, GUnixFDList *fds,
		       const char *name, const char *bridge, gpointer data)
{
	struct pending *p;

	if (!broker_ifname_ok(name) || !broker_ifname_ok(bridge)) {
		reply_error(inv, -EINVAL, "not a network interface name (1-15 letters, digits, "
			    "'_', '-', '.')");
		return TRUE;
	}
	p = pending_new(data, inv, run_tap);
	p->s1 = g_strdup(name);
	p->s2 = g_strdup(bridge);
	authorize(p, "create-tap");
	return TRUE;
}

static void run_msr(struct pending *p)
{
	uint64_t v = 0;
	char err[256];
	int ret = broker_read_msr(p->b->root, p->u1, p->u2, &v, err, sizeof(err));

	if (ret)
		reply_error(p->inv, ret, err);
	else
		g_dbus_method_invocation_return_value(p->inv, g_variant_new("(t)", v));
}

static gboolean on_msr(VesselBroker1 *s, GDBusMethodInvocation *inv, guint cpu, guint msr,
		       gpointer data)
{
	struct pending *p;

	if (!broker_msr_allowed(msr) || cpu >= 8192) {
		reply_error(inv, -EINVAL, "only IA32_FEATURE_CONTROL, the VMX capability MSRs and "
			    "AMD's VM_CR can be read, of CPUs 0-8191");
		return TRUE;
	}
	p = pending_new(data, inv, run_msr);
	p->u1 = cpu;
	p->u2 = msr;
	authorize(p, "read-msr");
	return TRUE;
}

static void run_kvm(struct pending *p)
{
	const char *module = NULL;
	char err[256];
	int ret = broker_load_kvm(p->b->root, &module, err, sizeof(err));

	if (ret)
		reply_error(p->inv, ret, err);
	else
		g_dbus_method_invocation_return_value(p->inv, g_variant_new("(s)", module));
}

static gboolean on_kvm(VesselBroker1 *s, GDBusMethodInvocation *inv, gpointer data)
{
	authorize(pending_new(data, inv, run_kvm), "load-kvm-module");
	return TRUE;
}

static void run_fwattr(struct pending *p)
{
	char err[256];
	int ret = broker_set_fwattr(p->b->root, p->s1, p->s2, p->s3, err, sizeof(err));

	if (ret)
		reply_error(p->inv, ret, err);
	else
		g_dbus_method_invocation_return_value(p->inv, NULL);
}

static gboolean on_fwattr(VesselBroker1 *s, GDBusMethodInvocation *inv, const char *driver,
			  const char *name, const char *value, gpointer data)
{
	struct broker *b = data;
	struct pending *p;
	char err[256];
	int ret = broker_fwattr_check(b->root, driver, name, value, err, sizeof(err));

	if (ret) {
		reply_error(inv, ret, err);
		return TRUE;
	}
	p = pending_new(b, inv, run_fwattr);
	p->s1 = g_strdup(driver);
	p->s2 = g_strdup(name);
	p->s3 = g_strdup(value);
	authorize(p, "set-firmware-attribute");
	return TRUE;
}

static void run_rule(struct pending *p)
{
	char err[256];
	int ret = broker_install_kvm_rule(p->b->root, err, sizeof(err));

	if (ret)
		reply_error(p->inv, ret, err);
	else
		g_dbus_method_invocation_return_value(p->inv, NULL);
}

static gboolean on_rule(VesselBroker1 *s, GDBusMethodInvocation *inv, gpointer data)
{
	authorize(pending_new(data, inv, run_rule), "install-kvm-access");
	return TRUE;
}

static void name_lost(GDBusConnection *conn, const char *name, gpointer data)
{
	struct broker *b = data;

	fprintf(stderr, "vessel-broker: cannot own %s on this bus (another broker runs, or the "
		"bus policy file is not installed)\n", name);
	g_main_loop_quit(b->loop);
}

static GDBusConnection *open_bus(const char *address, GError **error)
{
	if (!address)
		return g_bus_get_sync(G_BUS_TYPE_SYSTEM, NULL, error);
	return g_dbus_connection_new_for_address_sync(address,
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, error);
}

int main(int argc, char **argv)
{
	g_autofree char *address = NULL, *root = NULL;
	int idle = 60;
	GOptionEntry entries[] = {
		{ "address", 0, 0, G_OPTION_ARG_STRING, &address,
		  "A message bus to serve instead of the system bus (tests)", "ADDRESS" },
		{ "root", 0, 0, G_OPTION_ARG_FILENAME, &root,
		  "Take /dev, /sys, /proc and /sbin/modprobe under DIR (tests)", "DIR" },
		{ "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle,
		  "Exit after this many idle seconds (0: never; default 60)", "S" },
		{ NULL },
	};
	g_autoptr(GOptionContext) ctx = g_option_context_new("- Vessel's privileged helper");
	struct broker b = { 0 };
	GError *error = NULL;

	g_option_context_add_main_entries(ctx, entries, NULL);
	if (!g_option_context_parse(ctx, &argc, &argv, &error) || idle < 0) {
		fprintf(stderr, "vessel-broker: %s\n", error ? error->message : "bad --idle-timeout");
		return 64;
	}
	b.root = root ? root : "";
	b.idle_timeout = (unsigned)idle;
	b.loop = g_main_loop_new(NULL, FALSE);
	b.bus = open_bus(address, &error);
	if (!b.bus) {
		fprintf(stderr, "vessel-broker: no bus: %s\n", error->message);
		return 69;
	}
	b.skel = vessel_broker1_skeleton_new();
	g_signal_connect(b.skel, "handle-open-usb-device", G_CALLBACK(on_usb), &b);
	g_signal_connect(b.skel, "handle-create-tap", G_CALLBACK(on_tap), &b);
	g_signal_connect(b.skel, "handle-read-msr", G_CALLBACK(on_msr), &b);
	g_signal_connect(b.skel, "handle-load-kvm-module", G_CALLBACK(on_kvm), &b);
	g_signal_connect(b.skel, "handle-set-firmware-attribute", G_CALLBACK(on_fwattr), &b);
	g_signal_connect(b.skel, "handle-install-kvm-access-rule", G_CALLBACK(on_rule), &b);
	if (!g_dbus_interface_skeleton_export(G_DBUS_INTERFACE_SKELETON(b.skel), b.bus,
					      BROKER_PATH, &error)) {
		fprintf(stderr, "vessel-broker: %s\n", error->message);
		return 70;
	}
	g_bus_own_name_on_connection(b.bus, BROKER_NAME, G_BUS_NAME_OWNER_FLAGS_DO_NOT_QUEUE,
				     NULL, name_lost, &b, NULL);
	rearm_idle(&b);
	g_main_loop_run(b.loop);
	g_dbus_interface_skeleton_unexport(G_DBUS_INTERFACE_SKELETON(b.skel));
	g_object_unref(b.skel);
	g_dbus_connection_flush_sync(b.bus, NULL, NULL);
	g_object_unref(b.bus);
	g_main_loop_unref(b.loop);
	return 0;
}
