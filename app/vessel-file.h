/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A VM's NAME.vessel file: parsed and checked into one typed config, saved atomically. */
#ifndef VESSEL_FILE_H
#define VESSEL_FILE_H

#include <stdbool.h>
#include <stdint.h>
#include <glib.h>

#include "vm.h"

#define VESSEL_FILE_ERROR (vessel_file_error_quark())
GQuark vessel_file_error_quark(void);

enum vessel_file_error {
	VESSEL_FILE_ERROR_INVALID,	/* a bad group, key or value; the message names it */
	VESSEL_FILE_ERROR_IO,		/* reading or writing failed (errno in the message) */
	VESSEL_FILE_ERROR_EXISTS,	/* vessel_file_create: the folder is already there */
};

/* Limits a .vessel file is checked against (what the helper and a desktop can use). */
#define VESSEL_MEMORY_MIN	(16ull << 20)
#define VESSEL_MEMORY_MAX	(1ull << 40)
#define VESSEL_CPUS_MAX		256
#define VESSEL_MAX_NETS		8
#define VESSEL_NAME_MAX		255

struct vessel_disk {
	char *file;			/* as written in the file */
	char *path;			/* resolved against the folder */
	enum vm_disk_bus bus;
	bool readonly;
};

struct vessel_net {
	unsigned index;			/* N of [net.N] */
	char *mode;			/* user | bridge | none */
};

/*
 * The typed view of a .vessel file. kf holds the whole file (unknown groups and keys,
 * comments) and is what vessel_file_save() writes; the setters update both.
 */
struct vessel_file {
	char *path;			/* absolute path of NAME.vessel */
	char *dir;			/* its folder */
	GKeyFile *kf;

	/* [vm] */
	char *name;
	char uuid[37];
	uint64_t memory;		/* bytes, whole MiB */
	unsigned cpus;
	char *firmware;			/* resolved path; NULL for "bios" (the default BIOS) */
	/* [disk.N] in order of N */
	struct vessel_disk disks[VM_MAX_DISKS];
	unsigned ndisks;
	/* [cdrom] */
	char *cdrom;			/* resolved path or NULL */
	/* [display] */
	uint64_t vram;			/* 0: the display's default */
	/* [spice] */
	char *spice_listen;		/* NULL: not given */
	unsigned spice_port;		/* 0: not given */
	char *spice_password_file;	/* resolved path or NULL (need not exist yet) */
	/* [balloon] */
	uint64_t balloon_min, balloon_max;	/* 0: not given */
	bool balloon_auto;
	bool balloon;			/* the group is there: the VM has a balloon device */
	bool balloon_share_pages;	/* share-pages: guest RAM offered to KSM */
	/*
	 * [input] tablet=true|false: a virtio-input tablet (absolute pointer), so SPICE
	 * clients and the app move the guest's pointer without grabbing the host's. False when
	 * absent; new VMs (vessel_file_create) are written with true.
	 */
	bool tablet;
	/* [net.N] in order of N */
	struct vessel_net nets[VESSEL_MAX_NETS];
	unsigned nnets;
};

/*
 * Read and check path. Every bad value is an error naming the file, group and key and what
 * is allowed; unknown groups and keys are kept. Relative paths are taken against the file's
 * folder; disk, CD-ROM and firmware files must exist. 0, or -errno with *error set.
 */
int vessel_file_load(const char *path, struct vessel_file **out, GError **error);
void vessel_file_free(struct vessel_file *vf);

/*
 * Fill cfg's memory, cpus, firmware, disks (then the CD-ROM), vram, balloon and tablet from
 * vf, replacing its disk list; other fields are left as the caller set them. Strings are
 * borrowed from vf.
 */
void vessel_file_to_vm_config(const struct vessel_file *vf, struct vm_config *cfg);

/* Setters for what the app edits; 0, or -EINVAL with *error naming what is allowed. */
int vessel_file_set_memory(struct vessel_file *vf, uint64_t bytes, GError **error);
int vessel_file_set_cpus(struct vessel_file *vf, unsigned cpus, GError **error);
int vessel_file_set_name(struct vessel_file *vf, const char *name, GError **error);

/*
 * Write vf->kf to vf->path atomically: a temp file in the same folder, fsync, rename over
 * the old file, fsync the folder. On any failure the old file is left as it was.
 */
int vessel_file_save(struct vessel_file *vf, GError **error);

/*
 * Make DIR/NAME/NAME.vessel with a fresh uuid, the given memory and cpus, the default
 * BIOS and [input] tablet=true, and return it loaded; NULL with *error set (VESSEL_FILE_ERROR_EXISTS if DIR/NAME
 * is already there).
 */
struct vessel_file *vessel_file_create(const char *dir, const char *name, uint64_t memory,
				       unsigned cpus, GError **error);

#endif
