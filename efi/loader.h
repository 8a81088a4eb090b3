/* Declarations shared by the loader's files (efi/ only). The loader is a
 * sequence of steps (see main.c); each file here owns one of them. */
#ifndef PAGODA_EFI_LOADER_H
#define PAGODA_EFI_LOADER_H

#include <efi.h>
#include <efilib.h>

#include "bootinfo.h"
#include "config.h"
#include "elfcheck.h"
#include "pmem.h"
#include "pt.h"

/* OS-loader memory types (UEFI 2.10, 7.2: 0x80000000..0xFFFFFFFF are for OS
 * loaders). Allocating each kind of memory with its own type lets the final
 * firmware map say what every loader allocation is, so the tracker comes out
 * typed without bookkeeping on our side. */
#define PAGODA_MEM_BASE         0x80000000U
#define PAGODA_MEM_KERNEL       (PAGODA_MEM_BASE + PMEM_KERNEL_IMAGE)
#define PAGODA_MEM_PAGETABLES   (PAGODA_MEM_BASE + PMEM_KERNEL_PAGETABLES)
#define PAGODA_MEM_STACK        (PAGODA_MEM_BASE + PMEM_KERNEL_STACK)
#define PAGODA_MEM_KERNEL_DATA  (PAGODA_MEM_BASE + PMEM_KERNEL_DATA)
#define PAGODA_MEM_TRAMPOLINE   (PAGODA_MEM_BASE + PMEM_AP_TRAMPOLINE)
#define PAGODA_MEM_BOOTINFO     (PAGODA_MEM_BASE + PMEM_LOADER_RECLAIMABLE)

#define TRAMPOLINE_MAX_ADDR     0x000FFFFFULL  /* a page wholly below 1 MiB */
#define CONFIG_PATH             L"\\EFI\\pagoda\\pagoda.conf"
#define REJECT_PAUSE_US         3000000        /* keep an error readable before returning */

/* console.c: output to the UEFI console (and to COM1 when the firmware does
 * not already mirror the console there); after exit_boot_services, COM1 only. */
void con_init(void);
void con_after_exit(void);
/* A problem: on the screen now (after every note kept so far) and on COM1. */
void con_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Progress: on COM1 and the screen when the kernel's console starts (or with
 * the next problem line, or con_show_notes). efi/console.c says why. */
void con_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void con_show_notes(void);     /* every note kept so far: screen and COM1, now */
void con_notes_direct(void);   /* from now on every note to COM1 as it comes */
const char *con_notes(void);   /* every note so far, NUL-terminated */
size_t con_notes_on_uart(void);   /* bytes of con_notes() already on COM1 */
void con_pause_for_user(UINTN microseconds);
const char *efi_status_str(EFI_STATUS st);

/* fs.c: files on the boot volume. fs_read_file reads a whole file into
 * loader-data pool memory. fs_create_file opens `path` for writing, empty
 * (created, or an older file replaced); the caller closes *out.
 * fs_write_all writes all `size` bytes and flushes (EFI_VOLUME_FULL on a
 * short write). */
EFI_STATUS fs_read_file(EFI_HANDLE image, const CHAR16 *path, void **data, UINTN *size);
EFI_STATUS fs_create_file(EFI_HANDLE image, const CHAR16 *path, EFI_FILE_HANDLE *out);
EFI_STATUS fs_write_all(EFI_FILE_HANDLE f, const void *data, UINTN size);

/* kernel.c: validate and place the kernel. */
struct kernel_load {
    struct elf_image elf;
    paddr_t phys;            /* image span [elf.lo, elf.hi) lives at [phys, phys + size) */
    uint64_t size;
};
/* Which virtual windows the kernel must keep out of: Pagoda's ABI reserves
 * some (paging_check_placement); the Limine path checks its own. */
enum kernel_windows { KERNEL_WINDOWS_PAGODA, KERNEL_WINDOWS_LIMINE };
EFI_STATUS kernel_load(const void *file, UINTN size, enum kernel_windows windows, struct kernel_load *out);

/* memmap.c: firmware map and the exit. */
struct memmap {
    EFI_MEMORY_DESCRIPTOR *buf;
    UINTN buf_size;          /* allocated bytes */
    UINTN size;              /* bytes filled by the last GetMemoryMap */
    UINTN key;
    UINTN desc_size;
    UINT32 desc_version;
};
/* AllocatePages of `type` (PAGODA_MEM_*), bytes rounded up to pages; a
 * failure is reported on the console. `max` is AllocateMaxAddress's limit. */
EFI_STATUS alloc_pages(UINT32 type, uint64_t bytes, EFI_ALLOCATE_TYPE how, paddr_t max, paddr_t *out);
EFI_STATUS memmap_alloc(struct memmap *mm);
EFI_STATUS memmap_get(struct memmap *mm);
UINTN memmap_count(const struct memmap *mm);
/* Descriptor i (< memmap_count), stepped by desc_size, never by sizeof. */
const EFI_MEMORY_DESCRIPTOR *memmap_desc(const struct memmap *mm, UINTN i);
EFI_STATUS memmap_exit_boot_services(EFI_HANDLE image, struct memmap *mm, UINT32 *attempts);
/* Convert to the tracker's raw form; `raw` has room for memmap_count(). */
size_t memmap_to_raw(const struct memmap *mm, struct pmem_raw *raw);
uint64_t memmap_total_bytes(const struct memmap *mm);

/* paging.c: the kernel's page tables, built from a frame pool allocated
 * before the exit: once before it from the current map (the dry run), and
 * again after it from the final map. */
struct frame_pool {
    paddr_t base;
    uint64_t frames;
    uint64_t used;
};
/* Frames from the pool, reached through the identity map (the loader's
 * page-table builders: Pagoda's here, Limine's in limine_paging.c). */
struct pt_env paging_pool_env(struct frame_pool *pool);
size_t paging_plan_capacity(const struct pmem *pm);
void paging_set_plan_storage(struct pt_mapping *storage, size_t capacity);
/* 0 if the plan storage is too small. */
uint64_t paging_estimate_frames(const struct pmem *pm, const struct kernel_load *k, unsigned caps);
/* Tables from the pool's first frame on (pool->used restarts at 0), so a
 * second call replaces the first one's tables. 0, -E_CAPACITY (plan
 * storage), -E_NOMEM (pool) or pt_map's error. */
int paging_build(struct pt *pt, struct frame_pool *pool, const struct pmem *pm, const struct kernel_load *k,
                 paddr_t stack_phys, unsigned caps, uint64_t *min_frames, uint64_t *hhdm_end);
/* The page(s) holding handoff(), identity-mapped by the loader's tables. */
void paging_identity_range(paddr_t *base, paddr_t *end);
/* The level count (4 or 5) every later paging_* call plans and builds
 * for, placement check included; set once, before the kernel is loaded. */
void paging_set_levels(int levels);
/* 5 levels: the transitional root handoff.S loads on the way into LA57
 * (below 4 GiB, with 32-bit code): handoff's page(s) and the block's page
 * at their identity addresses, from `pool` (restarted at 0). 0 or
 * pt_map's error. */
#define PAGING_TRANSITION_FRAMES 9   /* root + 2 x (PML4, PDPT, PD, PT) at most */
int paging_build_transition(struct frame_pool *pool, paddr_t block, unsigned caps, paddr_t *root);
/* Refuse (message, EFI_LOAD_ERROR) a kernel whose pages overlap a window
 * the loader maps (include/hhdm_plan.h), so the table build cannot fail on
 * it after the exit. */
EFI_STATUS paging_check_placement(const struct elf_image *elf);

/* platform.c: CPU features, CPUs, framebuffer, ACPI. */
unsigned platform_cpu_features(void);          /* BI_CPU_* */
EFI_STATUS platform_collect_cpus(struct bootinfo *bi); /* allocates bi->cpu_list */
void platform_find_framebuffer(struct bootinfo_fb *fb);
paddr_t platform_find_rsdp(void);

/* tsc_estimate.c: the loader's TSC estimate, timed across its own work */
void tsc_estimate_begin(paddr_t rsdp);   /* at entry (again after a gdb wait) */
void tsc_estimate_tick(void);            /* between steps: keeps count of PM timer wraps */
uint64_t tsc_estimate_end(uint32_t *ppm); /* just before the exit: TSC ticks per second, its bound */

/* capture.c: write the firmware map, CPUs, CPUID features and framebuffer
 * to \EFI\pagoda\memmap.txt (capture=1; docs/memmap-capture.md). Re-reads
 * the map into mm. A failure prints one line and the boot goes on. */
void capture_write(EFI_HANDLE image, struct memmap *mm, const struct bootinfo *bi);

/* config.c: read and parse CONFIG_PATH if present (absent: defaults). */
EFI_STATUS config_load(EFI_HANDLE image, struct config *cfg);

/* chain.c: the closed chain (docs/secure-boot.md). chain_init reads the
 * firmware's Secure Boot state; chain_config judges the config file's
 * bytes before they are parsed (chain_config_absent: no file at all);
 * chain_configured applies verify= and prints the mode line;
 * chain_kernel and chain_module judge and measure a file before it is
 * used (EFI_SECURITY_VIOLATION, with a message naming it, when refused);
 * chain_fill_bootinfo records the mode and the event log for the kernel. */
void chain_init(void);
EFI_STATUS chain_config(const char *path, const void *data, UINTN size);
EFI_STATUS chain_config_absent(const char *path);
void chain_configured(const struct config *cfg);
EFI_STATUS chain_kernel(const struct config *cfg, const void *data, UINTN size);
EFI_STATUS chain_module(const struct config *cfg, const char *path, const void *data, UINTN size);
void chain_fill_bootinfo(struct bootinfo *bi, const struct config *cfg, EFI_HANDLE image);

/* measure.c: EFI_TCG2_PROTOCOL (none: nothing measured, no error).
 * measure_data hashes, extends `pcr` and logs an EV_IPL event naming
 * `what` and `path`; measure_snapshot (once, after the kernel's
 * measurement) copies the event log into an EFI configuration table
 * (include/tpm_log_table.h) and, with `report`, first prints PCRs 0-9 as
 * the TPM holds them; measure_finish records the copy in the boot info and,
 * with `capture`, writes it to the boot volume. */
bool measure_available(void);
EFI_STATUS measure_data(unsigned pcr, const char *what, const char *path, const void *data, UINTN size);
void measure_snapshot(bool report);
void measure_finish(struct bootinfo *bi, EFI_HANDLE image, bool capture);

/* handoff.S (block in handoff.h): 5-level paging if asked, CR3, stack,
 * jump. Never returns. Lives in its own page-aligned section so that
 * exactly that page is identity-mapped. */
#include "handoff.h"

/* kernel_blob.S */
extern const char kernel_blob_start[], kernel_blob_end[];

#endif
