/* Reading a memory-map capture (include/memmap_capture.h, format in
 * docs/memmap-capture.md) on the host. Strict: anything the format does not
 * allow is an error naming the line, since a replay of a misread map would
 * be worse than none. */
#ifndef PAGODA_TOOLS_CAPTURE_FILE_H
#define PAGODA_TOOLS_CAPTURE_FILE_H

#include <stdio.h>

#include "bootinfo.h"
#include "pmem.h"

#define CAPTURE_ERR_MAX    256
#define CAPTURE_VENDOR_MAX 80
#define CAPTURE_WORD_MAX   16

struct capture_desc {
    unsigned line;           /* where it was read, for messages */
    uint32_t type;           /* EFI_MEMORY_TYPE as the firmware gave it */
    uint64_t phys;           /* PhysicalStart */
    uint64_t pages;          /* NumberOfPages */
    uint64_t attr;           /* Attribute */
    enum pmem_type pmem;     /* the loader's classification (efi/memmap.c) */
};

struct capture {
    unsigned version;

    bool has_firmware;
    uint32_t uefi_revision, firmware_revision;
    char vendor[CAPTURE_VENDOR_MAX];

    bool has_cpuid;
    unsigned cpu_features;   /* BI_CPU_* */

    bool has_cpus;
    char cpus_source[CAPTURE_WORD_MAX];
    uint32_t bsp_apic;
    size_t cpu_count;
    struct bootinfo_cpu *cpus;

    bool has_fb;
    struct bootinfo_fb fb;   /* format is FB_FORMAT_* */

    uint64_t desc_size;      /* DescriptorSize: stride of the firmware's array */
    uint32_t desc_version;
    size_t count;            /* descriptors */
    struct capture_desc *descs;
};

/* Parse the whole stream. Returns 0, or -1 with the problem in err and its
 * line in *err_line (0 for the file as a whole, e.g. no 'end' record). On
 * success the caller owns *c and frees it with capture_free. */
int capture_read(FILE *in, struct capture *c, unsigned *err_line, char err[CAPTURE_ERR_MAX]);
void capture_free(struct capture *c);

#endif
