// SPDX-License-Identifier: GPL-2.0-or-later
// VesselNewVmWindow: the new VM assistant; vessel-new-vm.c does the creating.
#include "vessel-new-vm-window.h"
#include "vessel-new-vm.h"
#include "vessel-ui.h"

struct _VesselNewVmWindow {
	AdwWindow parent_instance;

	/* template children */
	AdwEntryRow *name;
	AdwActionRow *iso_row;
	GtkSpinButton *memory, *cpus, *disk;
	GtkLabel *error;

	/* owned */
	char *folder;
	char *iso;
};

G_DEFINE_FINAL_TYPE(VesselNewVmWindow, vessel_new_vm_window, ADW_TYPE_WINDOW)

enum { SIGNAL_CREATED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void show_error(VesselNewVmWindow *self, const char *msg)
{
	gtk_label_set_text(self->error, msg ? msg : "");
	gtk_widget_set_visible(GTK_WIDGET(self->error), msg != NULL);
}

void vessel_new_vm_window_set_name(VesselNewVmWindow *self, const char *name)
{
	gtk_editable_set_text(GTK_EDITABLE(self->name), name);
}

void vessel_new_vm_window_set_iso(VesselNewVmWindow *self, const char *path)
{
	g_free(self->iso);
	self->iso = path ? g_strdup(path) : NULL;
	adw_action_row_set_subtitle(self->iso_row, path ? path : "No ISO image chosen");
}

void vessel_new_vm_window_set_memory_mib(VesselNewVmWindow *self, unsigned mib)
{
	gtk_spin_button_set_value(self->memory, mib);
}

void vessel_new_vm_window_set_cpus(VesselNewVmWindow *self, unsigned cpus)
{
	gtk_spin_button_set_value(self->cpus, cpus);
}

void vessel_new_vm_window_set_disk_gib(VesselNewVmWindow *self, unsigned gib)
{
	gtk_spin_button_set_value(self->disk, gib);
}

unsigned vessel_new_vm_window_get_memory_mib(VesselNewVmWindow *self)
{
	return (unsigned)gtk_spin_button_get_value_as_int(self->memory);
}

unsigned vessel_new_vm_window_get_cpus(VesselNewVmWindow *self)
{
	return (unsigned)gtk_spin_button_get_value_as_int(self->cpus);
}

const char *vessel_new_vm_window_get_error(VesselNewVmWindow *self)
{
	return gtk_widget_get_visible(GTK_WIDGET(self->error)) ?
	       gtk_label_get_text(self->error) : NULL;
}

static void action_create(GtkWidget *w, const char *action, GVariant *param)
{
	VesselNewVmWindow *self = VESSEL_NEW_VM_WINDOW(w);
	g_autofree char *name = g_strstrip(g_strdup(gtk_editable_get_text(
		GTK_EDITABLE(self->name))));
	struct vessel_new_vm_spec p = {
		.folder = self->folder,
		.name = name,
		.iso = self->iso,
		.memory = (uint64_t)gtk_spin_button_get_value_as_int(self->memory) << 20,
		.cpus = (unsigned)gtk_spin_button_get_value_as_int(self->cpus),
		.disk_size = (uint64_t)gtk_spin_button_get_value_as_int(self->disk) << 30,
	};
	g_autoptr(GError) error = NULL;
	struct vessel_file *vf;

	if (!*name) {
		show_error(self, "Give the virtual machine a name.");
		return;
	}
	vf = vessel_new_vm_create(&p, &error);
	if (!vf) {
		show_error(self, error->message);
		return;
	}
	show_error(self, NULL);
	g_signal_emit(self, signals[SIGNAL_CREATED], 0, vf->path);
	vessel_file_free(vf);
	gtk_window_close(GTK_WINDOW(self));
}

static void iso_chosen(GtkNativeDialog *dialog, int response, VesselNewVmWindow *self)
{
	g_autoptr(GFile) file = NULL;
	g_autofree char *path = NULL;

	if (response == GTK_RESPONSE_ACCEPT) {
		file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
		path = file ? g_file_get_path(file) : NULL;
		if (path)
			vessel_new_vm_window_set_iso(self, path);
	}
	g_object_unref(dialog);
}

static void action_choose_iso(GtkWidget *w, const char *action, GVariant *param)
{
	GtkFileChooserNative *d = gtk_file_chooser_native_new("Choose an Installation Medium",
		GTK_WINDOW(w), GTK_FILE_CHOOSER_ACTION_OPEN, "_Open", "_Cancel");
	GtkFileFilter *f = gtk_file_filter_new();

	gtk_file_filter_set_name(f, "Disc images (ISO)");
	gtk_file_filter_add_pattern(f, "*.iso");
	gtk_file_filter_add_pattern(f, "*.ISO");
	gtk_file_filter_add_mime_type(f, "application/x-cd-image");
	gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(d), f);
	g_object_unref(f);
	g_signal_connect(d, "response", G_CALLBACK(iso_chosen), w);
	gtk_native_dialog_show(GTK_NATIVE_DIALOG(d));
}

VesselNewVmWindow *vessel_new_vm_window_new(GtkWindow *parent, const char *folder)
{
	VesselNewVmWindow *self = g_object_new(VESSEL_TYPE_NEW_VM_WINDOW, "transient-for",
					       parent, NULL);
	uint64_t memory;
	unsigned cpus;

	self->folder = g_strdup(folder);
	vessel_new_vm_host_defaults(&memory, &cpus);
	gtk_spin_button_set_value(self->memory, (double)(memory >> 20));
	gtk_spin_button_set_value(self->cpus, cpus);
	gtk_spin_button_set_value(self->disk, (double)(VESSEL_NEW_VM_DISK_SIZE >> 30));
	return self;
}

static void vessel_new_vm_window_finalize(GObject *o)
{
	VesselNewVmWindow *self = VESSEL_NEW_VM_WINDOW(o);

	g_free(self->folder);
	g_free(self->iso);
	G_OBJECT_CLASS(vessel_new_vm_window_parent_class)->finalize(o);
}

static void vessel_new_vm_window_class_init(VesselNewVmWindowClass *klass)
{
	GtkWidgetClass *wc = GTK_WIDGET_CLASS(klass);

	G_OBJECT_CLASS(klass)->finalize = vessel_new_vm_window_finalize;
	gtk_widget_class_set_template_from_resource(wc, VESSEL_RESOURCE_BASE
						    "/ui/vessel-new-vm-window.ui");
	gtk_widget_class_bind_template_child(wc, VesselNewVmWindow, name);
	gtk_widget_class_bind_template_child(wc, VesselNewVmWindow, iso_row);
	gtk_widget_class_bind_template_child(wc, VesselNewVmWindow, memory);
	gtk_widget_class_bind_template_child(wc, VesselNewVmWindow, cpus);
	gtk_widget_class_bind_template_child(wc, VesselNewVmWindow, disk);
	gtk_widget_class_bind_template_child(wc, VesselNewVmWindow, error);
	gtk_widget_class_install_action(wc, "new-vm.create", NULL, action_create);
	gtk_widget_class_install_action(wc, "new-vm.choose-iso", NULL, action_choose_iso);
	/* created(path of the new .vessel file) */
	signals[SIGNAL_CREATED] = g_signal_new("created", G_TYPE_FROM_CLASS(klass),
		G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void name_changed(VesselNewVmWindow *self)
{
	show_error(self, NULL);	/* the message was about the old input */
}

static void vessel_new_vm_window_init(VesselNewVmWindow *self)
{
	gtk_widget_init_template(GTK_WIDGET(self));
	g_signal_connect_swapped(self->name, "changed", G_CALLBACK(name_changed), self);
}
