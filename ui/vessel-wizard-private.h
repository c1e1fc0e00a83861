/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VesselWizard internals shared by its files: the instance, the pages, D-Bus calls, memory. */
#ifndef VESSEL_WIZARD_PRIVATE_H
#define VESSEL_WIZARD_PRIVATE_H

#include "vessel-wizard.h"

enum wizard_page {
	WIZARD_PAGE_CHECKING,
	WIZARD_PAGE_PROBLEM,
	WIZARD_PAGE_FIRMWARE,
	WIZARD_PAGE_MODULE,
	WIZARD_PAGE_ACCESS,
	WIZARD_PAGE_FINAL,
	WIZARD_PAGE_SUCCESS,
};

/* One finished check: what the thread hands the UI. */
struct wizard_check {
	struct hostcheck_facts facts;
	struct hostcheck_result result;
	struct hostcheck_advice advice;
};

/* The fix the user set out to do, remembered across restarts (wizard.conf). */
struct wizard_pending {
	bool valid;
	enum hostcheck_state state;
	char fix[16];			/* "firmware", "fwattr", "module", "access" */
};

struct _VesselWizard {
	AdwWindow parent_instance;

	/* template children */
	GtkStack *stack;
	AdwStatusPage *problem_status;
	GtkLabel *pending_label;
	GtkButton *next_button;
	GtkButton *back_button;
	GtkLabel *fix_title;
	GtkLabel *fix_summary;
	AdwPreferencesGroup *card_group;
	GtkBox *steps_box;
	GtkButton *fwattr_button;
	GtkButton *restart_button;
	GtkButton *load_button;
	GtkButton *access_button;
	GtkButton *recheck_button;
	GtkLabel *message;
	AdwStatusPage *final_status;
	GtkBox *final_box;
	AdwStatusPage *success_status;

	/* owned */
	char *root;
	char *state_file;
	GDBusConnection *broker_bus;
	GDBusConnection *logind_bus;
	GCancellable *cancel;
	struct wizard_check *check;	/* NULL until the first check finished */
	struct wizard_pending pending;	/* as read at construction */
	GPtrArray *card_rows;		/* rows added to card_group, to remove on refill */
	GtkWindow *dialog;
	enum wizard_page page;
	int calls;			/* checks and D-Bus calls under way */

	/* borrowed */
	const struct hostcheck_probes *probes;
};

/* vessel-wizard.c */
void vessel_wizard_show_page(VesselWizard *self, enum wizard_page page);
void vessel_wizard_recheck(VesselWizard *self);
void vessel_wizard_set_message(VesselWizard *self, const char *text);
/* The same in the error style: a refusal or a failure the user must act on. */
void vessel_wizard_set_error(VesselWizard *self, const char *text);
/* Begin/end a call: buttons go insensitive while one runs. */
void vessel_wizard_busy(VesselWizard *self, int delta);

/* vessel-wizard-pages.c: fill a page from self->check */
void vessel_wizard_fill_problem(VesselWizard *self);
void vessel_wizard_fill_fix(VesselWizard *self, enum wizard_page page);
void vessel_wizard_fill_final(VesselWizard *self);
void vessel_wizard_fill_success(VesselWizard *self);
/* The allow-listed VT switch of the firmware attributes, or NULL. */
const struct hostcheck_fwattr *vessel_wizard_vt_attr(const struct hostcheck_facts *f);
/* The word in possible_values that switches it on ("Enable", "Enabled"). */
void vessel_wizard_enable_word(const struct hostcheck_fwattr *a, char *buf, size_t len);

/* vessel-wizard-access.c: /dev/kvm permission details from the root tree */
bool vessel_wizard_udev_rule_installed(const char *root);
/* TRUE when /etc/group lists this user in "kvm" but this login lacks the group. */
bool vessel_wizard_group_needs_relogin(const char *root);

/* vessel-wizard-bus.c: the broker and logind, answers in plain words */
void vessel_wizard_enable_fwattr(VesselWizard *self);
void vessel_wizard_load_module(VesselWizard *self);
/* Broker InstallKvmAccessRule, then check again. */
void vessel_wizard_install_access(VesselWizard *self);
void vessel_wizard_ask_restart(VesselWizard *self);
/* A D-Bus error as one sentence the user can act on (g_free it). */
char *vessel_wizard_error_text(const char *what, const GError *error);

/* vessel-wizard-memory.c: the pending fix ($XDG_STATE_HOME/vessel/wizard.conf) */
char *vessel_wizard_default_state_file(void);
void vessel_wizard_pending_load(const char *file, struct wizard_pending *p);
void vessel_wizard_pending_save(const char *file, enum hostcheck_state state, const char *fix);
void vessel_wizard_pending_clear(const char *file);

#endif
