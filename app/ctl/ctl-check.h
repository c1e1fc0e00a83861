/* SPDX-License-Identifier: GPL-2.0-or-later */
/* vesselctl check internals shared by its human and JSON printers. */
#ifndef VESSEL_CTL_CHECK_H
#define VESSEL_CTL_CHECK_H

#include <stdio.h>

#include "hostcheck.h"

void ctl_check_print_json(FILE *out, const struct hostcheck_facts *f,
			  const struct hostcheck_result *r, const struct hostcheck_advice *a);

#endif
