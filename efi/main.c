/* efi_main: the loader as a checklist. Every step that can fail runs before
 * ExitBootServices and returns an EFI error to the firmware, which then
 * moves on to its next boot option. After the exit nothing may fail
 * except for broken invariants, which are reported on COM1 before a reset. */
#include <string.h>

#include "apslots.h"
#include "cmdline.h"
#include "limine.h"
#include "loader.h"
#include "platform_ranges.h"
#include "x86/cpu.h"
#include "x86/lapic_cpu.h"
#include "x86/pte.h"
#include "x86/seg.h"

#define PAGODA_VERSION "0.1"
/* Tracker entries the loader adds after pmem_build (on top of its
 * 2 * descriptors rule): the framebuffer retype can split a range (+2), the
 * local APIC and IOAPIC pages (+1 each), the retype of the pool's unused
 * tail (+2 at most). With this room none of them can run out of storage. */
#define TRACKER_LOADER_RANGES 8

/* Everything the loader prepares before the exit, so that after it only
 * pure computation remains. */
struct loader {
    EFI_HANDLE image;
    struct config cfg;
    struct kernel_load kernel;
    bool limine;                   /* the Limine protocol (efi/limine.c) */
    void *kernel_file;             /* the file as read (NULL: embedded); Pagoda path: freed in step 3 */
    UINTN kernel_file_size;
    struct bootinfo *bi;
    struct memmap mm;
    struct pmem pm;
    struct pmem_raw *raw;          /* memmap_count() + slack entries */
    size_t raw_cap;
    struct frame_pool pool;
    paddr_t stack_phys;
    unsigned caps;                 /* PT_CAP_* */
    int levels;                    /* paging levels: 4 or 5 */
    struct handoff_block *hb;      /* in one allocation with trans's frames */
    struct frame_pool trans;       /* 5 levels: the transitional root's tables */
    uint64_t steps[BI_STEP_COUNT]; /* TSC at each step's end: bootinfo.tsc_loader_steps */
};

/* Cleared by the debugger (tools/pagoda.gdb) once it has the loader's
 * symbols: with gdb=1 the loader spins on it (volatile: gdb writes it
 * behind the compiler's back). */
volatile int pagoda_gdb_wait = 1;

/* Step 1: where the firmware loaded this image. gdb needs it: the sections
 * of build/efi/loader.so sit at ImageBase + their VMA (the PE's image base
 * is 0). Reported on the console and COM1 so tools/pagoda.gdb can read it
 * from the serial log. */
static void report_image_base(EFI_HANDLE image)
{
    EFI_LOADED_IMAGE *li;
    EFI_STATUS st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);

    if (EFI_ERROR(st))
        con_note("pagoda: loader image base unknown: %s\n", efi_status_str(st));
    else
        con_note("pagoda: loader image base 0x%lx\n", (unsigned long)(uintptr_t)li->ImageBase);
}

/* Step 2, with gdb=1: stop until the debugger has attached and let go. */
static void wait_for_gdb(void)
{
    con_printf("pagoda: gdb=1: waiting for gdb (tools/pagoda.gdb clears pagoda_gdb_wait)\n");
    while (pagoda_gdb_wait)
        __asm__ volatile("pause");
}

/* Step 2, for a Pagoda kernel (a Limine kernel asks for its own mode):
 * the paging level count, from paging= in pagoda.conf, else the most the
 * CPU has. 5 levels need CPUID LA57 and handoff's page below 4 GiB (the
 * switch runs 32-bit code); asked for without them, the boot is refused.
 * Firmware already in 5-level mode (CR4.LA57) keeps it: handoff.S only
 * enters LA57, it never leaves it. Set before the kernel's placement check,
 * which depends on where the direct map lies. */
static EFI_STATUS choose_paging(struct loader *L)
{
    const int want = L->cfg.paging_levels;
    const bool cpu_la57 = platform_cpu_features() & BI_CPU_LA57;
    const bool fw_la57 = read_cr4() & CR4_LA57;
    const bool can5 = fw_la57 || (cpu_la57 && (uintptr_t)handoff_end - 1 <= LA57_SWITCH_MAX_ADDR);
    const char *no5 = !cpu_la57 ? "the CPU has no 5-level paging (CPUID.7.ECX.LA57)"
                                : "the loader's handoff code lies above 4 GiB, where the switch cannot run";

    if (want == 5 && !can5) {
        con_printf("pagoda: paging=5 refused: %s\n", no5);
        return EFI_UNSUPPORTED;
    }
    if (want == 4 && fw_la57) {
        con_printf("pagoda: paging=4 refused: the firmware runs 5-level paging, which the loader does not leave\n");
        return EFI_UNSUPPORTED;
    }
    if (want == CONFIG_PAGING_AUTO && cpu_la57 && !can5)
        con_printf("pagoda: 4-level paging: %s\n", no5);
    L->levels = want != CONFIG_PAGING_AUTO ? want : can5 ? 5 : 4;
    paging_set_levels(L->levels);
    return EFI_SUCCESS;
}

/* Step 2: the configured kernel file, or the embedded one; the protocol,
 * from the file (its requests); the kernel placed. The file stays in
 * L->kernel_file for the Limine executable-file response. */
static EFI_STATUS load_kernel(struct loader *L)
{
    const void *file = kernel_blob_start;
    UINTN size = (UINTN)(kernel_blob_end - kernel_blob_start);
    CHAR16 path[CONFIG_PATH_MAX];
    EFI_STATUS st;

    if (L->cfg.kernel[0]) {
        for (size_t i = 0; i < CONFIG_PATH_MAX; i++)
            path[i] = (CHAR16)(unsigned char)L->cfg.kernel[i];
        st = fs_read_file(L->image, path, &L->kernel_file, &size);
        if (EFI_ERROR(st)) {
            con_printf("pagoda: kernel file %s: %s\n", L->cfg.kernel, efi_status_str(st));
            return st;
        }
        file = L->kernel_file;
    }
    L->kernel_file_size = size;
    if ((st = chain_kernel(&L->cfg, file, size)))   /* pinned or refused; measured */
        return st;
    if ((st = limine_selected(&L->cfg, file, size, &L->limine)))
        return st;
    if (!L->limine && (st = choose_paging(L)))
        return st;
    return kernel_load(file, size, L->limine ? KERNEL_WINDOWS_LIMINE : KERNEL_WINDOWS_PAGODA, &L->kernel);
}

/* Step 4: the handoff block and, when handoff.S enters LA57, the frames of
 * its transitional root after it: below 4 GiB then (32-bit code reaches
 * both). Loader-reclaimable: nothing uses them after the jump. */
static EFI_STATUS allocate_handoff_block(struct loader *L)
{
    const bool la57 = L->levels == 5 && !(read_cr4() & CR4_LA57);
    const uint64_t frames = la57 ? PAGING_TRANSITION_FRAMES : 0;
    paddr_t pa;
    EFI_STATUS st = alloc_pages(PAGODA_MEM_BOOTINFO, (1 + frames) << PAGE_SHIFT,
                                la57 ? AllocateMaxAddress : AllocateAnyPages, LA57_SWITCH_MAX_ADDR, &pa);

    if (st)
        return st;
    L->hb = (struct handoff_block *)(uintptr_t)pa;
    *L->hb = (struct handoff_block){
        .la57 = la57,
        .gdt = { 0, SEG_CODE32 | SEG_ACCESSED, SEG_DATA32 | SEG_ACCESSED, SEG_CODE64 | SEG_ACCESSED },
        .gdt_limit = HB_GDT_WORDS * 8 - 1,
        .gdt_base = pa + HB_GDT,
        .scratch_top = pa + PAGE_SIZE,
    };
    L->trans = (struct frame_pool){ .base = pa + PAGE_SIZE, .frames = frames };
    return EFI_SUCCESS;
}

/* Step 4: boot info, stack, trampoline page, tracker and plan storage. */
static EFI_STATUS allocate_boot_memory(struct loader *L)
{
    paddr_t bi, tracker, raw, tramp, plan;
    EFI_STATUS st;

    if ((st = alloc_pages(PAGODA_MEM_BOOTINFO, sizeof(struct bootinfo), AllocateAnyPages, 0, &bi)))
        return st;
    L->bi = (struct bootinfo *)(uintptr_t)bi;
    memset(L->bi, 0, sizeof(*L->bi));
    if ((st = alloc_pages(PAGODA_MEM_STACK, KERNEL_STACK_SIZE, AllocateAnyPages, 0, &L->stack_phys)))
        return st;
    if ((st = allocate_handoff_block(L)))
        return st;
    /* A missing trampoline page only costs SMP; the kernel is told (0). */
    if (alloc_pages(PAGODA_MEM_TRAMPOLINE, PAGE_SIZE, AllocateMaxAddress, TRAMPOLINE_MAX_ADDR,
                    &tramp) == EFI_SUCCESS)
        L->bi->trampoline = tramp;

    if ((st = memmap_alloc(&L->mm)) || (st = memmap_get(&L->mm)))
        return st;
    L->raw_cap = L->mm.buf_size / L->mm.desc_size;
    size_t cap = 2 * L->raw_cap + TRACKER_LOADER_RANGES;  /* pmem_build needs 2 per descriptor */
    if ((st = alloc_pages(PAGODA_MEM_KERNEL_DATA, cap * sizeof(struct pmem_range), AllocateAnyPages,
                          0, &tracker)) ||
        (st = alloc_pages(PAGODA_MEM_BOOTINFO, L->raw_cap * sizeof(struct pmem_raw), AllocateAnyPages,
                          0, &raw)))
        return st;
    pmem_init(&L->pm, (struct pmem_range *)(uintptr_t)tracker, cap);
    L->raw = (struct pmem_raw *)(uintptr_t)raw;
    size_t plan_cap = paging_plan_capacity(&L->pm);
    if ((st = alloc_pages(PAGODA_MEM_BOOTINFO, plan_cap * sizeof(struct pt_mapping), AllocateAnyPages,
                          0, &plan)))
        return st;
    paging_set_plan_storage((struct pt_mapping *)(uintptr_t)plan, plan_cap);
    return EFI_SUCCESS;
}

/* Build the tracker from the map in L->mm, plus ranges the firmware does not
 * list but the kernel maps: framebuffer, local APIC, IOAPIC. Storage cannot
 * run out: raw_cap is the map buffer's capacity in descriptors, so every
 * map GetMemoryMap wrote into it fits (the check below is that invariant),
 * and the tracker has TRACKER_LOADER_RANGES spare entries. */
static int build_tracker(struct loader *L, uint64_t *added)
{
    size_t n;
    int rc;

    if (memmap_count(&L->mm) > L->raw_cap)
        return -E_CAPACITY;
    n = memmap_to_raw(&L->mm, L->raw);
    rc = pmem_build(&L->pm, L->raw, n, NULL);
    uint64_t before = pmem_total_bytes(&L->pm);
    if (rc == 0)
        rc = platform_ranges_add(&L->pm, &L->bi->fb, NULL);
    *added = pmem_total_bytes(&L->pm) - before;
    return rc;
}

/* Step 5: size and allocate the page-table pool from the current map. The
 * final map covers the same physical ranges; step 7 checks the real need. */
static EFI_STATUS allocate_page_table_pool(struct loader *L)
{
    uint64_t added;

    if (build_tracker(L, &added) < 0) {
        con_printf("pagoda: firmware memory map does not fit the tracker\n");
        return EFI_BUFFER_TOO_SMALL;
    }
    L->pool.frames = paging_estimate_frames(&L->pm, &L->kernel, L->caps);
    L->pool.used = 0;
    if (L->pool.frames == 0) {
        con_printf("pagoda: page-table plan does not fit its storage\n");
        return EFI_BUFFER_TOO_SMALL;
    }
    if (L->cfg.verbose)
        con_note("pagoda: %lu firmware descriptors, %lu tracker ranges, page-table pool %lu frames\n",
                   (unsigned long)memmap_count(&L->mm), (unsigned long)L->pm.count,
                   (unsigned long)L->pool.frames);
    return alloc_pages(PAGODA_MEM_PAGETABLES, L->pool.frames << PAGE_SHIFT, AllocateAnyPages, 0,
                       &L->pool.base);
}

/* Steps 7 and 9: the tracker from the map in L->mm, the page tables from the
 * pool, the pool's unused tail back to usable memory. Step 7 runs it on the
 * current map before the exit, step 9 on the final map after it; the two
 * maps differ only by what the firmware allocated or freed in between,
 * which changes RAM types but not what is mapped or with which flags. So
 * every input that can make it fail (the kernel's placement, the plan's
 * storage, the pool's size, the framebuffer's span, the tracker's storage)
 * has been tried by step 7. Returns 0 or a negative error; *what names
 * the part that failed. */
static int build_address_space(struct loader *L, struct pt *pt, const char **what)
{
    struct bootinfo *bi = L->bi;
    uint64_t added;
    int rc;

    *what = "building the tracker";
    if ((rc = build_tracker(L, &added)) < 0)
        return rc;
    bi->pmem_added_bytes = added;
    *what = "building the page tables";
    rc = paging_build(pt, &L->pool, &L->pm, &L->kernel, L->stack_phys, L->caps, &bi->pt_frames_min,
                      &bi->hhdm_end);
    if (rc < 0)
        return rc;
    *what = "building the transitional 5-level root";
    if (L->hb->la57 &&
        (rc = paging_build_transition(&L->trans, (uintptr_t)L->hb, L->caps, &L->hb->trans_cr3)) < 0)
        return rc;
    *what = "returning unused page-table frames";
    paddr_t pool_end = L->pool.base + (L->pool.frames << PAGE_SHIFT);
    paddr_t used_end = L->pool.base + (L->pool.used << PAGE_SHIFT);
    if (used_end < pool_end)
        rc = pmem_retype(&L->pm, used_end, pool_end, PMEM_USABLE);
    return rc;
}

static void fill_bootinfo_static(struct loader *L)
{
    struct bootinfo *bi = L->bi;

    bi->magic = BOOTINFO_MAGIC;
    bi->version = BOOTINFO_VERSION;
    bi->size = sizeof(*bi);
    bi->hhdm_base = hhdm_window_base(L->levels);
    bi->paging_levels = (uint32_t)L->levels;
    bi->hhdm_page_size = (L->caps & PT_CAP_1G) ? PAGE_SIZE_1G : PAGE_SIZE_2M;
    bi->kernel_phys = L->kernel.phys;
    bi->kernel_virt = L->kernel.elf.lo;
    bi->kernel_size = L->kernel.size;
    bi->kernel_entry = L->kernel.elf.entry;
    bi->stack_top = KSTACK_WINDOW + PAGE_SIZE + KERNEL_STACK_SIZE;
    bi->stack_size = KERNEL_STACK_SIZE;
    paging_identity_range(&bi->identity_base, &bi->identity_end);
    bi->efi_system_table = (paddr_t)(uintptr_t)ST;
    bi->rsdp = platform_find_rsdp();
    memcpy(bi->cmdline, L->cfg.cmdline, sizeof(bi->cmdline));
    bi->cmdline[sizeof(bi->cmdline) - 1] = '\0';
    L->hb->stack_top = bi->stack_top;
    L->hb->entry = bi->kernel_entry;
    L->hb->bootinfo = bi->hhdm_base + (uintptr_t)bi;
}

/* After the exit: nothing may fail from here on (build_address_space says
 * why). Reaching this is a broken invariant of the loader itself: it is
 * reported on COM1 and the machine reset, as nothing is left to return to. */
static __attribute__((noreturn)) void fatal_after_exit(const char *what, int rc)
{
    con_printf("pagoda: FATAL after ExitBootServices: %s (error %d); resetting\n", what, rc);
    uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, EFI_ABORTED, 0, NULL);   /* never returns */
    for (;;)
        __asm__ volatile("hlt");
}

/* Step 9, first: every AP the firmware parked gets INIT, which leaves it
 * in wait-for-SIPI. Until then each runs the firmware's AP loop in
 * memory the kernel will reuse and, under emulation, takes host time
 * from the BSP (at 8 vCPUs on 2 host cores the kernel's start-up took
 * 8-30 ms with them running, 6-10 ms without). One IPI to all but self,
 * whatever the count (one per AP cost ~0.5 ms each under TCG: 15 ms at 32
 * CPUs). It also starts the SDM's INIT-to-SIPI wait long before the
 * kernel's SIPIs. Not when the CPU list cannot tell this CPU from the APs:
 * the kernel then starts none, and the flag tells it the APs still run. */
static void init_firmware_aps(struct bootinfo *bi)
{
    const struct lapic_io io = lapic_io_identity();

    if (bi->cpu_count <= 1 ||
        !apslots_bsp_consistent(bootinfo_cpus(bi, 0), bi->cpu_count, bi->bsp_apic_id,
                                lapic_cpu_own_id(&io)))
        return;
    if (lapic_send_init_all_but_self(&io) == 0) {
        bi->tsc_aps_init = rdtsc();
        bi->boot_flags |= BI_BOOT_APS_INIT;
    }
}

/* Step 9. */
static __attribute__((noreturn)) void finish_and_jump(struct loader *L)
{
    struct bootinfo *bi = L->bi;
    const char *what;
    struct pt pt;
    int rc;

    con_after_exit();
    init_firmware_aps(bi);
    bi->firmware_total = memmap_total_bytes(&L->mm);
    bi->firmware_desc_count = (uint32_t)memmap_count(&L->mm);
    if ((rc = build_address_space(L, &pt, &what)) < 0)
        fatal_after_exit(what, rc);

    bi->pml4 = pt.root;
    bi->pt_frames_used = pt.frames_used;
    bi->pmem_ranges = (paddr_t)(uintptr_t)L->pm.ranges;
    bi->pmem_count = L->pm.count;
    bi->pmem_capacity = L->pm.capacity;

    wrmsr(MSR_PAT, PAGODA_PAT_VALUE);
    if (L->caps & PT_CAP_NX)
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    write_cr0(read_cr0() | CR0_WP);
    L->hb->final_cr3 = pt.root;
    bi->tsc_kernel_jump = rdtsc();
    handoff(L->hb);
}

/* Step 7: build everything step 9 builds, from the current map, so that a
 * kernel, a map or a framebuffer the loader cannot serve is refused while
 * the firmware can still move on. The tables are rebuilt after the exit. */
static EFI_STATUS dry_run(struct loader *L)
{
    const char *what;
    struct pt pt;
    EFI_STATUS st;
    int rc;

    if ((st = memmap_get(&L->mm))) {
        con_printf("pagoda: GetMemoryMap: %s\n", efi_status_str(st));
        return st;
    }
    if ((rc = build_address_space(L, &pt, &what)) < 0) {
        con_printf("pagoda: %s failed before ExitBootServices (error %d)\n", what, rc);
        return EFI_LOAD_ERROR;
    }
    return EFI_SUCCESS;
}

/* A step of efi_main ended: the boot-time report splits the loader's share
 * at these stamps. */
static void step_done(struct loader *L, enum bi_loader_step step)
{
    L->steps[step] = rdtsc();
}

/* Every failure before the exit ends here: the firmware tries its next
 * boot option. */
static EFI_STATUS refuse(EFI_STATUS st)
{
    con_printf("pagoda: not booting; returning to the firmware\n");
    con_pause_for_user(REJECT_PAUSE_US);
    return st;
}

/* Called by gnu-efi's crt0 with the SysV ABI (it converts from the
 * firmware's MS ABI itself), so not EFIAPI. Steps as in docs/design.md. */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    static struct loader L;
    uint64_t tsc_entry = rdtsc();
    unsigned features;
    EFI_STATUS st;

    /* 1. banner, image base (for gdb), watchdog off */
    InitializeLib(image, systab);
    L.image = image;
    con_init();
    tsc_estimate_begin(platform_find_rsdp());
    con_note("Pagoda " PAGODA_VERSION " boot loader\n");
    report_image_base(image);
    st = uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL); /* the boot manager arms 5 min */
    if (EFI_ERROR(st))
        con_note("pagoda: cannot disarm the firmware watchdog (%s): it may reset the machine "
                   "5 minutes after the loader started\n", efi_status_str(st));
    step_done(&L, BI_STEP_INIT);

    /* 2. configuration (gdb=1: wait for the debugger), the protocol, the
     * paging levels and the kernel (ELF and placement validated) */
    st = config_load(image, &L.cfg);
    if (!EFI_ERROR(st) && cmdline_value_is(cmdline_value(L.cfg.cmdline, CMDLINE_SERIAL_KEY), "sync"))
        con_notes_direct();
    if (!EFI_ERROR(st) && L.cfg.gdb) {
        wait_for_gdb();
        tsc_estimate_begin(platform_find_rsdp());   /* the wait is no measure of anything */
    }
    step_done(&L, BI_STEP_CONFIG);
    if (!EFI_ERROR(st))
        st = load_kernel(&L);
    if (EFI_ERROR(st))
        return refuse(st);
    step_done(&L, BI_STEP_KERNEL);

    /* 3. CPU features decide the HHDM page size and NX. A Limine kernel
     * continues in efi/limine.c, which returns only to refuse. */
    features = platform_cpu_features();
    L.caps = ((features & BI_CPU_1G_PAGES) ? PT_CAP_1G : 0) | ((features & BI_CPU_NX) ? PT_CAP_NX : 0);
    if (L.limine) {
        con_show_notes();   /* a foreign kernel does not show the loader's log */
        con_notes_direct();
        return refuse(limine_boot(image, &L.cfg, &L.kernel,
                                  L.kernel_file ? L.kernel_file : (const void *)kernel_blob_start,
                                  L.kernel_file_size, L.caps));
    }
    if (L.kernel_file)
        uefi_call_wrapper(BS->FreePool, 1, L.kernel_file);   /* fails only for a foreign buffer */

    /* 4. memory the kernel keeps; 5. the page-table pool */
    if ((st = allocate_boot_memory(&L)) || (st = allocate_page_table_pool(&L)))
        return refuse(st);
    L.bi->cpu_features = features;
    L.bi->tsc_loader_entry = tsc_entry;
    tsc_estimate_tick();
    step_done(&L, BI_STEP_MEMORY);

    /* 6. CPUs (their list allocated to fit), framebuffer, ACPI */
    if ((st = platform_collect_cpus(L.bi)))
        return refuse(st);
    step_done(&L, BI_STEP_CPUS);
    platform_find_framebuffer(&L.bi->fb);
    fill_bootinfo_static(&L);
    chain_fill_bootinfo(L.bi, &L.cfg, image);   /* mode, TPM event log */
    if (L.cfg.capture) /* what the loader saw, for host replay (docs/memmap-capture.md) */
        capture_write(image, &L.mm, L.bi);
    step_done(&L, BI_STEP_PLATFORM);

    /* 7. the dry run: everything after the exit, tried on the current map */
    tsc_estimate_tick();
    if ((st = dry_run(&L)))
        return refuse(st);
    step_done(&L, BI_STEP_DRY_RUN);
    con_note("pagoda: HHDM at 0x%lx with %s pages, %d-level paging; exiting boot services\n",
               (unsigned long)L.bi->hhdm_base, (L.caps & PT_CAP_1G) ? "1 GiB" : "2 MiB", L.levels);

    /* 8. exit: no output, allocation or protocol call from here to the jump */
    L.bi->tsc_hz = tsc_estimate_end(&L.bi->tsc_hz_ppm);
    memcpy(L.bi->loader_log, con_notes(), sizeof(L.bi->loader_log));
    L.bi->loader_log_on_serial = (uint32_t)con_notes_on_uart();   /* <= sizeof(loader_log) */
    memcpy(L.bi->tsc_loader_steps, L.steps, sizeof(L.steps));
    L.bi->tsc_before_exit = rdtsc();
    st = memmap_exit_boot_services(image, &L.mm, &L.bi->exit_attempts);
    L.bi->tsc_after_exit = rdtsc();
    if (EFI_ERROR(st)) {
        con_after_exit(); /* boot services may be half torn down: COM1 only */
        con_printf("pagoda: ExitBootServices failed after %u attempts: %s\n", L.bi->exit_attempts,
                   efi_status_str(st));
        uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, st, 0, NULL);
        return st;
    }
    /* 9. after the exit: only a broken invariant of the loader can fail */
    finish_and_jump(&L);
}
