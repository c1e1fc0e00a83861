/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vessel-helper's balloon schedule (--balloon-target) and its report lines on stderr. */
#ifndef VESSEL_HELPER_BALLOON_H
#define VESSEL_HELPER_BALLOON_H

#include "helper-cmdline.h"

struct helper_balloon;

/* Before vm_run: steps at 0 s are applied now, later ones armed on the VM's loop. */
struct helper_balloon *helper_balloon_start(struct vm *vm, const struct helper_options *o);
/* After vm_run: one summary line (--exit-stats), then free. NULL is fine. */
void helper_balloon_stop(struct helper_balloon *hb, bool summary);

#endif
