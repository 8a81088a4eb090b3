/* The memory-map capture file: what the loader saw of a machine (firmware
 * memory map, CPUs, CPUID features, framebuffer), written to the ESP when
 * pagoda.conf says capture=1 (efi/capture.c) and replayed on a host by
 * tools/replay.c. Line-oriented text; the format is docs/memmap-capture.md.
 * The words below are the format: writer and reader both use them. */
#ifndef PAGODA_MEMMAP_CAPTURE_H
#define PAGODA_MEMMAP_CAPTURE_H

#define CAPTURE_VERSION     1
#define CAPTURE_PATH_TEXT   "\\EFI\\pagoda\\memmap.txt"

/* Record keywords, the first word of a line; '#' starts a comment line. */
#define CAPTURE_REC_MAGIC    "pagoda-capture"  /* first record: version=N */
#define CAPTURE_REC_FIRMWARE "firmware"        /* uefi= revision= vendor=REST OF LINE */
#define CAPTURE_REC_CPUID    "cpuid"           /* 1g= nx= la57= x2apic= (0|1) */
#define CAPTURE_REC_CPUS     "cpus"            /* count= source= bsp_apic= */
#define CAPTURE_REC_CPU      "cpu"             /* apic= flags= package= core= thread= */
#define CAPTURE_REC_FB       "fb"              /* base= size= width= height= pitch= format= */
#define CAPTURE_REC_MEMMAP   "memmap"          /* count= desc_size= desc_version= */
#define CAPTURE_REC_DESC     "desc"            /* type= phys= pages= attr= pmem= */
#define CAPTURE_REC_END      "end"             /* last record: a truncated file has none */

/* cpus source= values */
#define CAPTURE_CPUS_MP      "mp-services"     /* EFI_MP_SERVICES_PROTOCOL answered */
#define CAPTURE_CPUS_NONE    "none"            /* no MP Services: the BSP alone */

/* UEFI 2.x EFI_MEMORY_DESCRIPTOR: Type, pad, PhysicalStart, VirtualStart,
 * NumberOfPages, Attribute. Firmware may report a larger DescriptorSize
 * (OVMF: 48) and the array is stepped by it; never a smaller one. A
 * descriptor holds 64-bit fields, so the stride is a multiple of 8. */
#define CAPTURE_DESC_SIZE_MIN   40
#define CAPTURE_DESC_SIZE_ALIGN 8

#endif
