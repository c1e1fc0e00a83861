// SPDX-License-Identifier: GPL-2.0-or-later
// VesselWizard's pages filled from one check: the problem, the vendor card and steps, the end.
#include "vessel-wizard-private.h"

#include <string.h>

/* Advice text marks commands as `code`; shown monospace, everything else escaped. */
static char *advice_markup(const char *text)
{
	GString *s = g_string_new(NULL);
	gboolean code = FALSE;

	for (const char *p = text; *p; p++) {
		if (*p == '`') {
			g_string_append(s, code ? "</tt>" : "<tt>");
			code = !code;
		} else if (*p == '&' || *p == '<' || *p == '>') {
			g_string_append(s, *p == '&' ? "&amp;" : *p == '<' ? "&lt;" : "&gt;");
		} else {
			g_string_append_c(s, *p);
		}
	}
	if (code)
		g_string_append(s, "</tt>");
	return g_string_free(s, FALSE);
}

static GtkWidget *text_label(const char *text, gboolean dim)
{
	g_autofree char *markup = advice_markup(text);
	GtkWidget *l = gtk_label_new(NULL);

	gtk_label_set_markup(GTK_LABEL(l), markup);
	gtk_label_set_wrap(GTK_LABEL(l), TRUE);
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_selectable(GTK_LABEL(l), TRUE);
	/* commands stay copyable with the mouse; focus would select a whole step on show */
	gtk_widget_set_focusable(l, FALSE);
	if (dim)
		gtk_widget_add_css_class(l, "dim-label");
	return l;
}

static void add_step(GtkBox *box, int n, const char *text)
{
	g_autofree char *numbered = n ? g_strdup_printf("%d. %s", n, text) : g_strdup(text);

	gtk_box_append(box, text_label(numbered, FALSE));
}

static void clear_box(GtkBox *box)
{
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(GTK_WIDGET(box))))
		gtk_box_remove(box, child);
}

/* The CLI's "run vesselctl check again" becomes the wizard's own Check Again. */
static bool cli_only(const char *step)
{
	return g_str_has_prefix(step, "Run `vesselctl check`");
}

const struct hostcheck_fwattr *vessel_wizard_vt_attr(const struct hostcheck_facts *f)
{
	for (int i = 0; i < f->n_fwattr && i < HOSTCHECK_MAX_FWATTR; i++) {
		if (f->fwattr[i].role == HOSTCHECK_FWATTR_VT)
			return &f->fwattr[i];
	}
	return NULL;
}

/* think-lmi offers "Disable;Enable", dell-wmi-sysman "Disabled;Enabled" (sysfs ABI). */
void vessel_wizard_enable_word(const struct hostcheck_fwattr *a, char *buf, size_t len)
{
	g_auto(GStrv) words = g_strsplit_set(a->possible, ";,", -1);

	g_strlcpy(buf, "Enable", len);
	for (int i = 0; words[i]; i++) {
		g_strstrip(words[i]);
		if (!g_ascii_strncasecmp(words[i], "enable", 6) ||
		    !g_ascii_strcasecmp(words[i], "on")) {
			g_strlcpy(buf, words[i], len);
			return;
		}
	}
}

static bool fwattr_off(const struct hostcheck_fwattr *a)
{
	return !g_ascii_strncasecmp(a->value, "disable", 7) || !g_ascii_strcasecmp(a->value, "off");
}

/* --- page 1 --- */

static const char *pending_words(const struct wizard_pending *p, enum hostcheck_state now)
{
	if (p->state != now)
		return "Your last change worked. One more thing is left to do.";
	if (!strcmp(p->fix, "fwattr"))
		return "The firmware change is not active yet: shut the computer down completely "
		       "and switch it on again (a restart may keep the old setting).";
	if (!strcmp(p->fix, "access"))
		return "Access is still denied. Log out and back in so the new permission applies.";
	return "Virtualization is still switched off. If you changed the setting, shut the "
	       "computer down completely (not a restart) and switch it on again.";
}

static bool fixable(enum hostcheck_state s)
{
	return s == HOSTCHECK_FIRMWARE_DISABLED || s == HOSTCHECK_MODULE_NOT_LOADED ||
	       s == HOSTCHECK_NO_ACCESS;
}

void vessel_wizard_fill_problem(VesselWizard *self)
{
	const struct wizard_check *c = self->check;
	g_autofree char *desc = g_markup_escape_text(c->advice.summary, -1);
	enum hostcheck_state s = c->result.state;

	adw_status_page_set_title(self->problem_status, c->advice.title);
	adw_status_page_set_description(self->problem_status, desc);
	gtk_button_set_label(self->next_button, fixable(s) ? "Show Me How" : "What Can I Do?");
	gtk_widget_set_visible(GTK_WIDGET(self->pending_label), self->pending.valid);
	if (self->pending.valid)
		gtk_label_set_text(self->pending_label, pending_words(&self->pending, s));
}

/* --- the fix pages --- */

static void add_card_row(VesselWizard *self, const char *title, const char *value)
{
	AdwActionRow *row;

	if (!value)
		return;
	row = ADW_ACTION_ROW(adw_action_row_new());
	adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
	adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
	adw_action_row_set_subtitle(row, value);
	gtk_widget_add_css_class(GTK_WIDGET(row), "property");
	adw_preferences_group_add(self->card_group, GTK_WIDGET(row));
	g_ptr_array_add(self->card_rows, row);
}

static void reset_fix_page(VesselWizard *self)
{
	for (guint i = 0; i < self->card_rows->len; i++)
		adw_preferences_group_remove(self->card_group, self->card_rows->pdata[i]);
	g_ptr_array_set_size(self->card_rows, 0);
	adw_preferences_group_set_title(self->card_group, "");
	gtk_widget_set_visible(GTK_WIDGET(self->card_group), FALSE);
	clear_box(self->steps_box);
	gtk_widget_set_visible(GTK_WIDGET(self->fwattr_button), FALSE);
	gtk_widget_set_visible(GTK_WIDGET(self->restart_button), FALSE);
	gtk_widget_set_visible(GTK_WIDGET(self->load_button), FALSE);
	gtk_widget_set_visible(GTK_WIDGET(self->access_button), FALSE);
	gtk_widget_set_visible(GTK_WIDGET(self->recheck_button), TRUE);
}

static void fill_card(VesselWizard *self, const struct hostcheck_vendor_card *card,
		      enum hostcheck_cpu cpu)
{
	g_autofree char *title = g_strdup_printf("Firmware Setup of %s", card->name);

	adw_preferences_group_set_title(self->card_group,
		strcmp(card->id, "generic") ? title : "Firmware Setup");
	gtk_widget_set_visible(GTK_WIDGET(self->card_group), TRUE);
	add_card_row(self, "Key to press as the computer starts", card->setup_key);
	add_card_row(self, "Menu", hostcheck_card_menu(card, cpu));
	add_card_row(self, "Option to set to Enabled", hostcheck_card_option(card, cpu));
}

/* Linux can flip the switch itself (think-lmi, dell-wmi-sysman, hp-bioscfg). */
static int fwattr_steps(VesselWizard *self, const struct hostcheck_fwattr *v, int n)
{
	g_autofree char *text = NULL;

	if (v->pending_reboot) {
		add_step(self->steps_box, ++n, "A firmware change is already waiting. Shut the "
			 "computer down completely, then switch it on again.");
		return n;
	}
	if (!fwattr_off(v)) {
		text = g_strdup_printf("The firmware's “%s” setting already reads %s: shut the "
				       "computer down completely and switch it on again so it "
				       "takes effect.", v->name, v->value);
		add_step(self->steps_box, ++n, text);
		return n;
	}
	gtk_widget_set_visible(GTK_WIDGET(self->fwattr_button), TRUE);
	text = g_strdup_printf("“Enable It for Me” sets the firmware's “%s” setting from Linux "
			       "(%s). An administrator password may be asked for.", v->name,
			       v->driver);
	add_step(self->steps_box, ++n, text);
	add_step(self->steps_box, ++n, "Afterwards, shut down fully, then start again: a restart "
		 "may keep the old setting.");
	return n;
}

static int setup_steps(VesselWizard *self, const struct hostcheck_vendor_card *card,
		       enum hostcheck_cpu cpu, int n)
{
	const char *can = self->check->facts.reboot_to_fw;
	g_autofree char *key = NULL, *open = NULL;

	if (!strcmp(can, "yes") || !strcmp(can, "challenge")) {
		gtk_widget_set_visible(GTK_WIDGET(self->restart_button), TRUE);
		add_step(self->steps_box, ++n, "Save your work, then choose “Restart into Firmware "
			 "Setup”: the computer restarts straight into its setup screen.");
	} else {
		key = g_strdup_printf("Restart the computer and press %s as soon as it starts "
				      "(Fast Boot leaves little time: press it repeatedly).",
				      card->setup_key);
		add_step(self->steps_box, ++n, key);
	}
	open = g_strdup_printf("Open %s and set “%s” to Enabled.", hostcheck_card_menu(card, cpu),
			       hostcheck_card_option(card, cpu));
	add_step(self->steps_box, ++n, open);
	add_step(self->steps_box, ++n, "Save and exit (F10 on most machines), then shut down fully "
		 "and start again: a restart may keep the old setting.");
	return n;
}

static void fill_firmware(VesselWizard *self)
{
	const struct hostcheck_facts *f = &self->check->facts;
	const struct hostcheck_vendor_card *card = hostcheck_vendor_card(&f->dmi);
	const struct hostcheck_fwattr *v = vessel_wizard_vt_attr(f);
	const char *const *gotchas = hostcheck_gotchas();
	int n = 0;

	gtk_label_set_text(self->fix_title, "Switch On Virtualization in the Firmware Setup");
	if (card->has_toggle)
		fill_card(self, card, f->cpu);
	if (v)
		n = fwattr_steps(self, v, n);
	if (!v && card->has_toggle)
		n = setup_steps(self, card, f->cpu, n);
	for (int i = 0; !card->has_toggle && i < self->check->advice.n_steps; i++) {
		if (!cli_only(self->check->advice.steps[i]))
			add_step(self->steps_box, ++n, self->check->advice.steps[i]);
	}
	add_step(self->steps_box, ++n, "Open Vessel again: it checks whether virtualization is on.");
	if (card->notes)
		gtk_box_append(self->steps_box, text_label(card->notes, TRUE));
	/* gotchas[0] is Intel TXT; the last one (full power-off) is already a step */
	for (int i = f->cpu == HOSTCHECK_CPU_INTEL ? 0 : 1; gotchas[i] && gotchas[i + 1]; i++)
		gtk_box_append(self->steps_box, text_label(gotchas[i], TRUE));
}

static void fill_module(VesselWizard *self)
{
	const struct wizard_check *c = self->check;
	const char *mod = c->facts.cpu == HOSTCHECK_CPU_AMD ? "kvm_amd" : "kvm_intel";
	g_autofree char *text = g_strdup_printf("“Load the KVM Module” asks Vessel's helper to load "
						"%s. An administrator password may be asked for.",
						mod);

	gtk_label_set_text(self->fix_title, "Load the KVM Module");
	if (c->result.reason == HOSTCHECK_R_MODULE_BLACKLISTED && c->advice.n_steps)
		add_step(self->steps_box, 0, c->advice.steps[0]);
	add_step(self->steps_box, 0, text);
	gtk_widget_set_visible(GTK_WIDGET(self->load_button), TRUE);
}

static void fill_access(VesselWizard *self)
{
	gtk_label_set_text(self->fix_title, "Allow Access to KVM");
	if (vessel_wizard_group_needs_relogin(self->root)) {
		add_step(self->steps_box, 0, "You are in the kvm group, but this login started "
			 "before you were added. Log out and back in (or restart), then check again.");
		return;
	}
	if (vessel_wizard_udev_rule_installed(self->root)) {
		add_step(self->steps_box, 1, "Vessel's udev rule gives /dev/kvm to whoever is logged "
			 "in at this computer's screen. It applies from the next login: log out and "
			 "back in, then check again.");
	} else {
		add_step(self->steps_box, 1, "Vessel's udev rule, which gives /dev/kvm to the person "
			 "at this computer, is not installed. “Give Me Access” asks Vessel's helper "
			 "to install it and apply it at once (an administrator password may be asked "
			 "for); where it cannot apply at once, log out and back in.");
		gtk_widget_set_visible(GTK_WIDGET(self->access_button), TRUE);
	}
	add_step(self->steps_box, 2, "Logged in remotely, or no rule? Add yourself to the kvm "
		 "group: `sudo usermod -aG kvm $USER`. Group changes, too, apply from the next "
		 "login.");
}

void vessel_wizard_fill_fix(VesselWizard *self, enum wizard_page page)
{
	reset_fix_page(self);
	gtk_label_set_text(self->fix_summary, self->check->advice.summary);
	if (page == WIZARD_PAGE_FIRMWARE)
		fill_firmware(self);
	else if (page == WIZARD_PAGE_MODULE)
		fill_module(self);
	else
		fill_access(self);
}

/* --- the end pages --- */

void vessel_wizard_fill_final(VesselWizard *self)
{
	const struct hostcheck_advice *a = &self->check->advice;
	g_autofree char *desc = g_markup_escape_text(a->summary, -1);
	int n = 0;

	adw_status_page_set_title(self->final_status, a->title);
	adw_status_page_set_description(self->final_status, desc);
	clear_box(self->final_box);
	for (int i = 0; i < a->n_steps && i < HOSTCHECK_MAX_STEPS; i++) {
		if (!cli_only(a->steps[i]))
			add_step(self->final_box, ++n, a->steps[i]);
	}
	for (int i = 0; i < a->n_notes && i < 3; i++)
		gtk_box_append(self->final_box, text_label(a->notes[i], TRUE));
	if (!n)
		add_step(self->final_box, 0, "Vessel can't fix this from here.");
}

void vessel_wizard_fill_success(VesselWizard *self)
{
	g_autofree char *desc = g_markup_escape_text(self->check->advice.summary, -1);
	const struct wizard_pending *p = &self->pending;
	const char *title = "Ready for Virtual Machines";

	if (p->valid && (!strcmp(p->fix, "firmware") || !strcmp(p->fix, "fwattr")))
		title = "Virtualization Is On Now";
	else if (p->valid)
		title = "KVM Is Ready Now";
	adw_status_page_set_title(self->success_status, title);
	adw_status_page_set_description(self->success_status, desc);
}
