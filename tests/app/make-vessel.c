// SPDX-License-Identifier: GPL-2.0-or-later
// make-vessel DIR NAME: a .vessel file made by vessel_file_create(), for the MIME test.
#include <stdio.h>

#include "vessel-file.h"

int main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	struct vessel_file *vf;

	if (argc != 3) {
		fprintf(stderr, "usage: make-vessel DIR NAME\n");
		return 64;
	}
	vf = vessel_file_create(argv[1], argv[2], 256ull << 20, 1, &error);
	if (!vf) {
		fprintf(stderr, "make-vessel: %s\n", error->message);
		return 1;
	}
	printf("%s\n", vf->path);
	vessel_file_free(vf);
	return 0;
}
