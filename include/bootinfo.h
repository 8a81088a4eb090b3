/* The boot-info ABI: the one struct the loader hands the kernel (RDI holds
 * its HHDM address at entry). Versioned by magic, version and size; every
 * pointer in it is a physical address (add hhdm_base to reach it).
 * Described in docs/bootinfo.md. Append fields only, bump the version. */
#ifndef PAGODA_BOOTINFO_H
#define PAGODA_BOOTINFO_H

#include "types.h"
#include "pmem.h"

#define BOOTINFO_MAGIC    0x41444F4741504231ULL  /* "1BPAGODA" little-endian */
#define BOOTINFO_VERSION  4   /* 4: tsc_loader_steps, tsc_hz_ppm, loader_log_on_serial, tsc_aps_init */

/* Virtual layout. The kernel, its heap and stack windows sit at the same
 * addresses whatever the paging level count (with 5 levels they are in
 * PML5 slot 511, whose PML4 is laid out as the 4-level root); only the
 * direct map moves, so its base and end are per-boot values
 * (bootinfo.hhdm_base, bootinfo.paging_levels, hhdm_window_base/end). */
#define KERNEL_VBASE      0xFFFFFFFF80000000ULL  /* top 2 GiB: -mcmodel=kernel */
#define KHEAP_WINDOW      0xFFFFFE0000000000ULL  /* PML4 slot 508: fresh kernel mappings */
#define KHEAP_WINDOW_END  0xFFFFFE8000000000ULL
/* 4 levels: the HHDM owns PML4 slots 256..507, so physical addresses from
 * 126 TiB up cannot be direct-mapped; the loader leaves them out (and
 * counts them) rather than wrap into other windows. */
#define HHDM_BASE_4LEVEL  0xFFFF800000000000ULL  /* PML4 slot 256: phys 0 */
#define HHDM_END_4LEVEL   KHEAP_WINDOW
/* 5 levels: PML5 slots 256..271, all of the 52-bit physical space (4 PiB),
 * at Limine's 5-level offset. */
#define HHDM_BASE_5LEVEL  0xFF00000000000000ULL  /* PML5 slot 256: phys 0 */
#define HHDM_END_5LEVEL   0xFF10000000000000ULL  /* + PTE_PHYS_LIMIT */
/* Root slot 509 (PML4 or PML5: 0xfffffe8000000000 or 0xfffd000000000000) is
 * left empty for the recursive-mapping demo (shared/pt_recursive.c,
 * docs/page-table-access.md). */
#define PT_RECURSIVE_SLOT 509
/* The temporary-mapping demo's window: one page at a fixed address, the last
 * of the heap window, reserved so that no fresh mapping lands there. */
#define PT_TEMP_WINDOW    (KHEAP_WINDOW_END - PAGE_SIZE)
#define KSTACK_WINDOW     0xFFFFFF0000000000ULL  /* PML4 slot 510: kernel stacks */
#define KSTACK_WINDOW_END 0xFFFFFF8000000000ULL
#define KERNEL_STACK_SIZE (64 * KiB)              /* per CPU; an unmapped guard page below each */

#define BOOTINFO_CMDLINE_MAX 256
#define BOOTINFO_LOADER_LOG_MAX 2048   /* the loader's progress lines, for the screen */

#define CPU_FLAG_BSP       (1u << 0)
#define CPU_FLAG_ENABLED   (1u << 1)
#define CPU_FLAG_HEALTHY   (1u << 2)

/* One CPU of the list at bootinfo.cpu_list. Entries may only grow (fields
 * appended, cpu_entry_size says how big they are). */
struct bootinfo_cpu {
    uint32_t apic_id;    /* x2APIC ID: any value but 0xFFFFFFFF (the broadcast) */
    uint32_t flags;      /* CPU_FLAG_* */
    uint32_t package, core, thread;  /* from MP Services location */
    uint32_t pad;
};

#define FB_FORMAT_NONE   0
#define FB_FORMAT_RGBX   1   /* byte 0 red   (PixelRedGreenBlueReserved8BitPerColor) */
#define FB_FORMAT_BGRX   2   /* byte 0 blue  (PixelBlueGreenRedReserved8BitPerColor) */
#define FB_FORMAT_BITMASK 3  /* masks below */

struct bootinfo_fb {
    paddr_t base;        /* 0 = no framebuffer */
    uint64_t size;
    uint32_t width, height;
    uint32_t pitch;      /* bytes per scan line (bit-mask modes: pixel size from the masks) */
    uint32_t format;     /* FB_FORMAT_* */
    uint32_t red_mask, green_mask, blue_mask, reserved_mask;
};

/* CPU features the loader found (CPUID) and used. */
#define BI_CPU_1G_PAGES  (1u << 0)
#define BI_CPU_NX        (1u << 1)
#define BI_CPU_LA57      (1u << 2)
#define BI_CPU_X2APIC    (1u << 3)

#define BI_TPM_LOG_NONE  0
#define BI_TPM_LOG_TCG2  2   /* crypto agile: TCG PC Client PFP, TCG_PCR_EVENT2 entries */

#define BI_BOOT_SECURE_BOOT (1u << 0)   /* the firmware enforces Secure Boot */
#define BI_BOOT_VERIFIED    (1u << 1)   /* external files were checked against pins */
#define BI_BOOT_MEASURED    (1u << 2)   /* config, kernel, modules measured into the TPM */
/* Every CPU but the BSP got an INIT (one IPI to all but self) from the
 * loader right after ExitBootServices: the firmware's parked APs sit in
 * wait-for-SIPI, off firmware memory and off the host's cores. Clear: the
 * CPU list could not tell the BSP from the APs (or the IPI failed); the
 * kernel then deals with the APs itself. */
#define BI_BOOT_APS_INIT    (1u << 3)

/* The loader's steps, in the order it runs them; tsc_loader_steps[s] is the
 * TSC when step s ended (0: the step did not run). With tsc_loader_entry
 * and tsc_before_exit they split the loader's share of the boot
 * (docs/design.md, "Time budget"). Append only. */
enum bi_loader_step {
    BI_STEP_INIT,        /* library, console, ACPI look-up, watchdog */
    BI_STEP_CONFIG,      /* pagoda.conf read and parsed */
    BI_STEP_KERNEL,      /* kernel file read, judged, measured, placed */
    BI_STEP_MEMORY,      /* boot info, stack, map, tracker, page-table pool */
    BI_STEP_CPUS,        /* EFI_MP_SERVICES_PROTOCOL: the CPU list */
    BI_STEP_PLATFORM,    /* framebuffer, boot-info fields, chain state, capture */
    BI_STEP_DRY_RUN,     /* map read again, tracker and tables built once */
    BI_STEP_COUNT
};
#define BOOTINFO_LOADER_STEPS 8   /* >= BI_STEP_COUNT: the ABI's array size */

struct bootinfo {
    uint64_t magic;                 /* BOOTINFO_MAGIC */
    uint32_t version;               /* BOOTINFO_VERSION */
    uint32_t size;                  /* sizeof(struct bootinfo) */

    uint64_t hhdm_base;             /* virtual address of physical 0 */
    uint64_t hhdm_page_size;        /* PAGE_SIZE_1G or PAGE_SIZE_2M */
    uint64_t hhdm_end;              /* physical end covered by the HHDM */
    paddr_t pml4;                   /* CR3 the loader wrote */
    uint64_t pt_frames_used;        /* page-table frames the loader built */
    uint64_t pt_frames_min;         /* minimum for the same mappings */

    paddr_t kernel_phys;            /* lowest physical address of the image */
    vaddr_t kernel_virt;            /* lowest virtual address of the image */
    uint64_t kernel_size;           /* span in bytes */
    vaddr_t kernel_entry;
    vaddr_t stack_top;              /* BSP stack; a guard page below its base */
    uint64_t stack_size;

    paddr_t identity_base;          /* transitional identity map: [base, end) */
    paddr_t identity_end;           /* the kernel removes it */

    /* Tracker: `pmem_count` sorted ranges at physical `pmem_ranges`, room for
     * `pmem_capacity` (the kernel keeps using this storage). */
    paddr_t pmem_ranges;
    uint64_t pmem_count;
    uint64_t pmem_capacity;
    uint64_t firmware_total;        /* bytes in the final firmware map, for the self-check */
    uint64_t pmem_added_bytes;      /* ranges the loader added (framebuffer, APIC MMIO) */
    uint32_t firmware_desc_count;   /* descriptors in the final firmware map */
    uint32_t exit_attempts;         /* ExitBootServices calls until success */

    paddr_t trampoline;             /* 4 KiB page below 1 MiB for the AP trampoline, 0 = none */

    uint32_t cpu_features;          /* BI_CPU_* */
    uint32_t cpu_count;             /* entries at cpu_list, >= 1 */
    uint32_t cpus_from_mp;          /* 1 if EFI_MP_SERVICES_PROTOCOL answered */
    uint32_t bsp_apic_id;
    /* The CPU list: cpu_count entries of cpu_entry_size bytes at physical
     * cpu_list, in loader-reclaimable memory of its own (sized from MP
     * Services' count: no fixed limit). */
    paddr_t cpu_list;
    uint32_t cpu_entry_size;        /* sizeof(struct bootinfo_cpu) */
    uint32_t cpu_list_pad;

    struct bootinfo_fb fb;
    paddr_t rsdp;                   /* ACPI 2.0+ RSDP, else 1.0, else 0 */
    paddr_t efi_system_table;

    /* TSC readings: loader entry, just before ExitBootServices, just before
     * the jump. tsc_hz is the loader's estimate (0 if unknown). */
    uint64_t tsc_loader_entry;
    uint64_t tsc_before_exit;
    uint64_t tsc_kernel_jump;
    uint64_t tsc_hz;

    char cmdline[BOOTINFO_CMDLINE_MAX];  /* NUL-terminated */

    /* The loader's progress lines, NUL-terminated, for the kernel to put on
     * the screen and (from loader_log_on_serial on) on COM1: the loader does
     * not print them itself on a boot that goes well (efi/console.c says
     * why). */
    char loader_log[BOOTINFO_LOADER_LOG_MAX];
    /* TSC right after ExitBootServices returned: with tsc_loader_entry,
     * tsc_before_exit and the kernel's own stamps, the boot's timeline on the
     * guest's one clock (docs/design.md, "Time budget"). */
    uint64_t tsc_after_exit;
    /* Measured boot (docs/secure-boot.md): the loader's copy of the TPM
     * event log (kernel-data pages; 0 = no TPM or no log), its format, and
     * the firmware's final events table (EFI_TCG2_FINAL_EVENTS_TABLE: the
     * events logged after the copy, ExitBootServices' among them); BI_BOOT_*
     * says how the loader ran. */
    paddr_t tpm_event_log;
    uint64_t tpm_event_log_size;
    uint32_t tpm_event_log_format;  /* BI_TPM_LOG_* */
    uint32_t boot_flags;            /* BI_BOOT_* */
    paddr_t tpm_final_events;
    uint32_t paging_levels;         /* 4 or 5 (CR4.LA57): hhdm_base follows it */
    uint32_t pad_levels;
    uint64_t tsc_loader_steps[BOOTINFO_LOADER_STEPS];   /* enum bi_loader_step */
    /* tsc_hz's error bound in ppm when the loader timed it against the
     * ACPI PM timer; 0 when it had to use BS->Stall (include/tsc_calib.h). */
    uint32_t tsc_hz_ppm;
    /* Bytes at the start of loader_log the loader already wrote to COM1;
     * the kernel writes the rest there when its console starts. */
    uint32_t loader_log_on_serial;
    /* With BI_BOOT_APS_INIT: the TSC right after the loader's INIT to all
     * but self. The SDM's INIT-to-SIPI wait runs from here. */
    uint64_t tsc_aps_init;
};

/* The direct map's window for a paging level count (4 or 5). */
static inline vaddr_t hhdm_window_base(int levels)
{
    return levels == 5 ? HHDM_BASE_5LEVEL : HHDM_BASE_4LEVEL;
}

static inline vaddr_t hhdm_window_end(int levels)
{
    return levels == 5 ? HHDM_END_5LEVEL : HHDM_END_4LEVEL;
}

_Static_assert(sizeof(struct pmem_range) == 24, "pmem_range is ABI");
_Static_assert(sizeof(struct bootinfo_cpu) == 24, "bootinfo_cpu is ABI");
_Static_assert(BI_STEP_COUNT <= BOOTINFO_LOADER_STEPS, "loader steps fit their array");

/* The CPU list, given what physical address `phys_offset` is added to for
 * access (0 in the loader, hhdm_base in the kernel). The caller has checked
 * cpu_entry_size. */
static inline const struct bootinfo_cpu *bootinfo_cpus(const struct bootinfo *bi, uint64_t phys_offset)
{
    return (const struct bootinfo_cpu *)(uintptr_t)(bi->cpu_list + phys_offset);
}

#endif
