/* The loader's Limine-protocol driver (efi/limine*.c), efi/ only. main.c
 * calls limine_selected() once the kernel is placed and, when it says yes,
 * limine_boot(), which returns only to refuse. The split by file:
 *   limine.c         selection, the checklist before and after the exit
 *   limine_resp.c    responses in bootloader-reclaimable memory
 *   limine_files.c   executable file and modules (files on the boot volume)
 *   limine_tables.c  firmware tables: ACPI (table ranges, I/O APICs), SMBIOS,
 *                    EFI system table, the boot date
 *   limine_paging.c  the kernel's page tables per base revision
 *   limine_cpu.c     the machine state at entry (PAT, MTRRs, PIC, I/O APIC,
 *                    LAPIC, control registers)
 *   limine_iommu.c   revision 5+: the VT-d and AMD-Vi units off
 *   limine_entry.S   the last instructions: CR3, GDT, stack, jump
 * Protocol logic that needs no firmware (request scan, base-revision
 * handshake, memory map, direct-map coverage) is shared/limine_*.c. */
#ifndef PAGODA_EFI_LIMINE_H
#define PAGODA_EFI_LIMINE_H

/* The handoff block limine_entry.S reads (offsets for the assembler). */
#define LH_TRANS_CR3   0x00   /* final tables + the identity page of limine_entry.S */
#define LH_FINAL_CR3   0x08
#define LH_HHDM        0x10   /* HHDM offset: the block and the code are reached through it */
#define LH_GDTR        0x1e   /* u16 limit, u64 base (lgdt operand) */
#define LH_STACK_TOP   0x28   /* HHDM address, 16-byte aligned */
#define LH_ENTRY       0x30
#define LH_CR0         0x38
#define LH_CR4         0x40
#define LH_EFER        0x48
#define LH_RFLAGS      0x50
#define LH_STRICT      0x58   /* nonzero: revision 5+ null IDTR/LDTR, TR base 0 limit 0 */
#define LH_NULL_IDTR   0x66   /* u16 0, u64 0 (lidt operand) */
#define LH_LA57        0x70   /* nonzero: enter 5-level paging (leaves long mode once) */
#define LH_GDTR_PHYS   0x7e   /* the same GDT at its physical address (< 4 GiB), for 32-bit code */
#define LH_SCRATCH     0x88   /* physical top of a scratch stack in the block's page */
#define LH_PAT         0x90   /* IA32_PAT for the APs (the BSP's, LIMINE_PAT_VALUE) */
#define LH_X2APIC      0x98   /* nonzero: every CPU in x2APIC mode; zero: xAPIC (MP request) */
#define LH_SIZE        0xa0

#ifdef __ASSEMBLER__
#include "x86/la57.h"
#include "x86/limine_gdt.h"

/* Load the spec's GDT from the handoff block at \blk, reload CS with a far
 * return and every data segment register (which also zeroes the FS and GS
 * bases), BSP and APs alike. Clobbers RAX. */
.macro LIMINE_LOAD_GDT blk
    lgdt    LH_GDTR(\blk)
    pushq   $LIMINE_SEL_CODE64
    lea     .Lcs_reloaded\@(%rip), %rax
    pushq   %rax
    lretq
.Lcs_reloaded\@:
    mov     $LIMINE_SEL_DATA64, %eax
    mov     %eax, %ds
    mov     %eax, %es
    mov     %eax, %ss
    mov     %eax, %fs
    mov     %eax, %gs
.endm

/* Revision 5+, every CPU: TR "loaded with base 0 and limit 0" (a selector
 * cannot be loaded null, and after INIT an AP's TR limit is 0xFFFF). All
 * CPUs share the GDT's one TSS descriptor, and LTR marks it busy and refuses
 * a busy one: under limine_tr_lock (loader data, RIP-relative) each CPU
 * marks it available again and loads it. Runs after LIMINE_LOAD_GDT, at the
 * HHDM alias. Clobbers RAX. */
.macro LIMINE_LOAD_TR blk
.Ltr_lock\@:
    lock btsl $0, limine_tr_lock(%rip)
    jnc     .Ltr_locked\@
    pause
    jmp     .Ltr_lock\@
.Ltr_locked\@:
    mov     LH_GDTR + 2(\blk), %rax
    andb    $~LIMINE_TSS_BUSY, LIMINE_TSS_ACCESS_BYTE(%rax)
    mov     $LIMINE_SEL_TSS, %eax
    ltr     %ax
    movl    $0, limine_tr_lock(%rip)
.endm
/* The entry state's system registers from the handoff block, BSP and APs
 * alike, after LIMINE_LOAD_GDT: at revision 5+ (LH_STRICT) a null IDTR and
 * LDTR and the zero TSS in TR; then EFER, CR4 and CR0 as the block holds
 * them. Clobbers RAX, RCX, RDX. */
.macro LIMINE_LOAD_ENTRY_STATE blk
    cmpq    $0, LH_STRICT(\blk)
    je      .Lnot_strict\@
    lidt    LH_NULL_IDTR(\blk)
    xor     %eax, %eax
    lldt    %ax
    LIMINE_LOAD_TR \blk
.Lnot_strict\@:
    mov     $MSR_EFER, %ecx
    mov     LH_EFER(\blk), %rax
    mov     %rax, %rdx
    shr     $32, %rdx
    wrmsr
    mov     LH_CR4(\blk), %rax
    mov     %rax, %cr4
    mov     LH_CR0(\blk), %rax
    mov     %rax, %cr0
.endm
/* The last step into a Limine kernel, BSP and APs alike: the stack holds
 * [RFLAGS, entry, 0]; every general-purpose register the spec wants zero
 * is zeroed (RDI is the caller's: 0 on the BSP, the info struct on an AP),
 * then RFLAGS is loaded and `ret` enters with the 0 return address on top. */
.macro LIMINE_ENTER_ZEROED
    xor     %eax, %eax
    xor     %ebx, %ebx
    xor     %ecx, %ecx
    xor     %edx, %edx
    xor     %esi, %esi
    xor     %ebp, %ebp
    xor     %r8d, %r8d
    xor     %r9d, %r9d
    xor     %r10d, %r10d
    xor     %r11d, %r11d
    xor     %r12d, %r12d
    xor     %r13d, %r13d
    xor     %r14d, %r14d
    xor     %r15d, %r15d
    popfq
    ret
.endm
#else
#include "limine_proto.h"
#include "ap_start_timing.h"
#include "apslots.h"
#include "loader.h"
#include "x86/pte.h"

struct limine_handoff {
    uint64_t trans_cr3, final_cr3, hhdm;
    uint16_t pad0[3];
    uint16_t gdt_limit;
    uint64_t gdt_base;
    uint64_t stack_top, entry, cr0, cr4, efer, rflags, strict;
    uint16_t pad1[3];
    uint16_t idt_limit;
    uint64_t idt_base;
    uint64_t la57;
    uint16_t pad2[3];
    uint16_t gdt_phys_limit;
    uint64_t gdt_phys_base;
    uint64_t scratch_top;
    uint64_t pat;
    uint64_t x2apic;
};
_Static_assert(offsetof(struct limine_handoff, gdt_limit) == LH_GDTR, "gdtr");
_Static_assert(offsetof(struct limine_handoff, stack_top) == LH_STACK_TOP, "stack");
_Static_assert(offsetof(struct limine_handoff, strict) == LH_STRICT, "strict");
_Static_assert(offsetof(struct limine_handoff, idt_limit) == LH_NULL_IDTR, "idtr");
_Static_assert(offsetof(struct limine_handoff, la57) == LH_LA57, "la57");
_Static_assert(offsetof(struct limine_handoff, gdt_phys_limit) == LH_GDTR_PHYS, "gdtr phys");
_Static_assert(offsetof(struct limine_handoff, scratch_top) == LH_SCRATCH, "scratch");
_Static_assert(offsetof(struct limine_handoff, pat) == LH_PAT, "pat");
_Static_assert(offsetof(struct limine_handoff, x2apic) == LH_X2APIC, "x2apic");
_Static_assert(sizeof(struct limine_handoff) == LH_SIZE, "handoff block");

/* limine_entry.S: never returns. Runs identity-mapped on the firmware's
 * tables; the block is reached through its identity address first. Lives
 * in its own page-aligned section, which the transitional tables map. */
extern char limine_entry_start[], limine_entry_end[];
__attribute__((noreturn)) void limine_enter(struct limine_handoff *h);

#define LIMINE_REQS_MAX       64         /* requests in one image (known + unknown) */
#define LIMINE_MODULES_MAX    32         /* internal + pagoda.conf modules */
#define LIMINE_TABLES_MAX     64         /* firmware table ranges for the memory map */
#define LIMINE_IOAPICS_MAX    16
#define LIMINE_DRHDS_MAX      16         /* VT-d units (DMAR DRHD structures) */
#define LIMINE_AMDVIS_MAX     16         /* AMD-Vi units (IVRS IVHD blocks) */
/* DMAR flags (Intel VT-d 8.1): interrupt remapping supported, and the
 * firmware's request that system software not enable x2APIC. */
#define DMAR_FLAG_INTR_REMAP     0x1
#define DMAR_FLAG_X2APIC_OPT_OUT 0x2
#define LIMINE_HHDM_4LVL      0xFFFF800000000000ULL   /* the reference loader's offsets */
#define LIMINE_HHDM_5LVL      0xFF00000000000000ULL
/* 5-level paging: CR4.LA57 changes only with paging off, so limine_entry.S
 * leaves long mode once, in 32-bit code that must run identity-mapped
 * below 4 GiB with its GDT, scratch stack and transitional root there too. */
#define LIMINE_KERNEL_MIN     0xFFFFFFFF80000000ULL   /* spec: kernels load at or above */
#define LIMINE_RESP_ARENA     (64 * KiB)  /* responses, strings, file structs */
/* Spec: PAT0 WB, PAT1 WT, PAT2 UC-, PAT3 UC, PAT4 WP, PAT5 WC; 6 and 7 as
 * at power-on (UC-, UC). Entries 0-3 equal the power-on layout, so the
 * firmware's own mappings keep their caching when the loader writes it. */
#define LIMINE_PAT_VALUE                                                              \
    (PAT_ENTRY(0, PAT_TYPE_WB) | PAT_ENTRY(1, PAT_TYPE_WT) | PAT_ENTRY(2, PAT_TYPE_UCM) | \
     PAT_ENTRY(3, PAT_TYPE_UC) | PAT_ENTRY(4, PAT_TYPE_WP) | PAT_ENTRY(5, PAT_TYPE_WC) |  \
     PAT_ENTRY(6, PAT_TYPE_UCM) | PAT_ENTRY(7, PAT_TYPE_UC))

/* A bump allocator over one bootloader-reclaimable allocation: every
 * response and what it points to. Pointers are identity (physical) before
 * the jump; the kernel sees them at hhdm + pa (limine_kva). */
struct limine_arena {
    uint8_t *base;
    uint64_t size, used;
};

struct limine_module_src {
    char path[CONFIG_PATH_MAX];      /* '\' separators, from the volume root */
    const char *string;              /* in the arena or the config */
    bool required;
};

/* An enabled processor of the MADT (Local APIC or Local x2APIC entry). */
struct limine_madt_cpu {
    uint32_t uid;                    /* ACPI processor UID */
    uint32_t apic_id;
};

struct limine_tables {
    paddr_t rsdp, smbios32, smbios64;
    struct limine_table_range ranges[LIMINE_TABLES_MAX];
    size_t nranges;
    uint32_t ioapics[LIMINE_IOAPICS_MAX];
    size_t nioapics;
    struct limine_madt_cpu *cpus;    /* ncpus entries (pool, sized from the first MADT) */
    size_t ncpus;
    bool cpus_truncated;             /* no pool for the list: the BSP alone */
    bool dmar;                       /* a DMAR table was found */
    uint8_t dmar_flags;              /* DMAR_FLAG_* */
    paddr_t drhds[LIMINE_DRHDS_MAX]; /* VT-d register bases */
    size_t ndrhds;
    paddr_t amdvis[LIMINE_AMDVIS_MAX]; /* AMD-Vi MMIO bases (IVRS) */
    size_t namdvis;
};

/* The MP request's state (efi/limine_mp.c): prepared before the exit, the
 * APs started after it, before the jump. */
struct limine_mp {
    struct limine_mp_resp *resp;     /* NULL: no MP request */
    uint64_t *cpu_ptrs;              /* resp->cpus, BSP first */
    struct limine_mp_info *bsp_info;
    paddr_t tramp;                   /* the trampoline page below 1 MiB (0: none) */
    paddr_t stacks;                  /* slots * stack size */
    uint64_t tsc_hz;
    bool x2apic;                     /* the mode every CPU gets (spec: the request's flag) */
    bool fw_x2apic;                  /* the mode the firmware left on the BSP */
    bool serial;                     /* limine_smp=serial: one AP at a time */
    struct ap_start_timing timing;   /* INIT and SIPI waits */
    uint32_t started, parked;        /* after limine_mp_start */
    uint64_t bringup_tsc;            /* INIT to all decided */
    uint64_t ebs_tsc;                /* TSC right after ExitBootServices */
    uint64_t parked_tsc;             /* TSC when every AP was alive or given up */
};

/* Everything the Limine path prepares before the exit. */
struct limine_boot {
    EFI_HANDLE image;
    const struct config *cfg;
    struct kernel_load *k;
    const void *file;                /* the kernel file as read (loader pool) */
    UINTN file_size;
    unsigned caps;                   /* PT_CAP_* */
    unsigned features;               /* BI_CPU_* */

    struct limine_view views[ELF_MAX_SEGMENTS];
    size_t nviews;
    struct limine_req reqs[LIMINE_REQS_MAX];
    struct limine_scan scan;
    struct limine_revision rev;
    struct limine_rev_rules rules;
    uint64_t hhdm;
    vaddr_t entry;
    uint64_t paging_mode;            /* LIMINE_PAGING_4LVL / _5LVL */
    int levels;                      /* 4 or 5 */

    struct limine_arena arena;
    struct limine_tables tables;
    struct limine_fb_range fb_range;
    struct bootinfo_fb fb;
    paddr_t stack_phys;
    uint64_t stack_size;
    uint64_t *gdt;

    /* memory map: the tracker from the final firmware map, the Limine
     * entries and their pointer array, the EFI map copy for the response */
    struct memmap mm;
    struct pmem pm;
    struct pmem_raw *raw;
    size_t raw_cap;
    struct limine_memmap_entry *entries;
    uint64_t *entry_ptrs;
    size_t entries_cap;
    struct limine_memmap_resp *memmap_resp;       /* NULL: not requested */
    uint8_t *efi_map_copy;
    struct limine_efi_memmap_resp *efi_map_resp;  /* NULL: not requested */

    /* page tables */
    struct limine_map_range *hhdm_ranges;
    size_t hhdm_cap;
    struct pt_mapping *plan;
    size_t plan_cap;
    struct frame_pool pool;
    struct limine_handoff *handoff;
    struct limine_mp mp;
    bool keep_iommu;                 /* the keep-IOMMU request: leave VT-d / AMD-Vi as they are */
};

/* limine.c */
/* Does this kernel file get the Limine protocol? Scans the file's loaded
 * segments (auto), or follows protocol=. Refuses (EFI error) only a scan
 * that fails (duplicate IDs, truncated requests, markers out of order):
 * only a Limine kernel holds those structures. */
EFI_STATUS limine_selected(const struct config *cfg, const void *file, UINTN size, bool *yes);
/* Boot k with the Limine protocol. Returns only to refuse. */
EFI_STATUS limine_boot(EFI_HANDLE image, const struct config *cfg, struct kernel_load *k,
                       const void *file, UINTN file_size, unsigned caps);

static inline uint64_t limine_kva(const struct limine_boot *B, const void *p)
{
    return p ? B->hhdm + (uint64_t)(uintptr_t)p : 0;
}
/* The loaded image's bytes at kernel address va (len bytes wholly inside a
 * segment), or NULL. */
void *limine_image_ptr(const struct limine_boot *B, vaddr_t va, uint64_t len);
/* A NUL-terminated string at kernel address va inside the image (at most
 * max bytes with the NUL), or NULL. */
const char *limine_image_str(const struct limine_boot *B, vaddr_t va, size_t max);

/* limine_resp.c */
void *limine_arena_alloc(struct limine_arena *a, uint64_t size);
char *limine_arena_str(struct limine_arena *a, const char *s);
/* Every response known before the exit; the memory map's storage sized.
 * EFI error (message printed) when something cannot be served. */
EFI_STATUS limine_responses(struct limine_boot *B);

/* limine_files.c: the executable file and the modules (request + config),
 * copied into executable-and-modules memory; fills the file structs. */
EFI_STATUS limine_file_executable(struct limine_boot *B, struct limine_file *out);
EFI_STATUS limine_modules(struct limine_boot *B, const struct limine_req *r,
                          struct limine_module_resp *resp);

/* limine_tables.c */
void limine_tables_find(struct limine_tables *t);
/* 0 and the boot date as UNIX time, or an EFI error from GetTime / a date
 * out of range. */
EFI_STATUS limine_boot_date(int64_t *out);

/* limine_paging.c */
EFI_STATUS limine_paging_prepare(struct limine_boot *B);
/* Memory map, HHDM plan and tables from the map in B->mm (0 or an error;
 * *what names the failing part). Before the exit (dry run) and after it. */
int limine_build_address_space(struct limine_boot *B, const char **what);

/* limine_mp.c: the MP response and every AP's slot, stack and info
 * struct before the exit (no request: nothing); after it, every AP started
 * at once (INIT, SIPI, SIPI to all), parked in limine_ap.S until the
 * kernel writes its goto_address. The response then lists the BSP and the
 * APs that arrived. */
EFI_STATUS limine_mp_prepare(struct limine_boot *B, const struct limine_req *r);
void limine_mp_start(struct limine_boot *B);
/* limine_ap.S, entered through the shared trampoline (TRAMP_ENTRY64, at its
 * HHDM alias): the AP's side. The slot table and the handoff block's HHDM
 * address are loader globals it reads RIP-relative. */
extern char limine_ap_entry64[];
extern struct ap_slot *limine_ap_slots;   /* the loader's view (identity) */
extern uint64_t limine_ap_slots_kva;      /* the same slots at their HHDM address, for the APs */
extern uint32_t limine_ap_count;
extern uint64_t limine_ap_block;

/* limine_iommu.c: after the exit, every VT-d unit of the DMAR with DMA
 * translation, interrupt remapping and queued invalidation off, every
 * AMD-Vi unit of the IVRS disabled (revision 5+ without the keep-IOMMU
 * request). A unit that does not report a change within its poll limit is
 * named on COM1 and left. */
void limine_iommu_disable(const struct limine_tables *t);
/* limine_cpu.c: after the exit, the devices and registers as the spec
 * wants them at entry; fills the handoff block's register values. */
void limine_machine_state(struct limine_boot *B);
/* Called by limine_ap.S on each AP (its own stack, the transitional root):
 * the APIC mode of h->x2apic, the revision 5+ local APIC state, the BSP's
 * MTRRs and h->pat. */
__attribute__((visibility("hidden"))) void limine_ap_cpu_setup(const struct limine_handoff *h);
/* LIMINE_LOAD_TR's lock (limine_cpu.c): 0 free, 1 held. */
extern __attribute__((visibility("hidden"))) uint32_t limine_tr_lock;

#endif
#endif
