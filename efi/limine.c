/* The Limine boot protocol, as a second checklist next to efi_main's. The
 * kernel is already validated and placed (kernel_load); here the loader
 * finds its requests, decides the base revision, refuses what it cannot
 * serve, builds every response, the stack, the GDT and the memory-map
 * storage, and tries the page-table build on the current map, all before
 * ExitBootServices, as the Pagoda path does (docs/design.md). After the exit
 * only the memory map, the tables and the entry state are computed, from
 * the final map, and the kernel is entered (limine_entry.S).
 * Design and the places where Pagoda differs from the reference loader:
 * docs/limine.md. */
#include <string.h>

#include "limine.h"
#include "x86/cpu.h"
#include "x86/limine_gdt.h"

/* One view per loaded segment, in the placed image (identity-mapped now). */
static size_t image_views(const struct kernel_load *k, struct limine_view *v)
{
    for (size_t i = 0; i < k->elf.nsegs; i++) {
        const struct elf_segment *s = &k->elf.segs[i];
        v[i] = (struct limine_view){ .vaddr = s->vaddr,
                                     .bytes = (uint8_t *)(uintptr_t)(k->phys + (s->vaddr - k->elf.lo)),
                                     .size = s->memsz };
    }
    return k->elf.nsegs;
}

void *limine_image_ptr(const struct limine_boot *B, vaddr_t va, uint64_t len)
{
    for (size_t i = 0; i < B->nviews; i++) {
        const struct limine_view *v = &B->views[i];
        if (va >= v->vaddr && va - v->vaddr <= v->size && len <= v->size - (va - v->vaddr))
            return v->bytes + (va - v->vaddr);
    }
    return NULL;
}

const char *limine_image_str(const struct limine_boot *B, vaddr_t va, size_t max)
{
    for (size_t n = 0; n < max; n++) {
        const char *c = limine_image_ptr(B, va + n, 1);
        if (!c)
            return NULL;
        if (*c == '\0')
            return limine_image_ptr(B, va, n + 1);
    }
    return NULL;
}

static void scan_error(const struct limine_scan *s, int rc)
{
    if (rc == -LIMINE_E_DUPLICATE)
        con_printf("pagoda: limine: duplicate request %s (ID %016lx %016lx) at 0x%lx and 0x%lx\n",
                   limine_req_kind_name(s->dup.kind), (unsigned long)s->dup.id2, (unsigned long)s->dup.id3,
                   (unsigned long)s->dup.first, (unsigned long)s->dup.second);
    else
        con_printf("pagoda: limine: requests unusable: %s (at 0x%lx)\n", limine_strerror(rc),
                   (unsigned long)s->error_vaddr);
}

/* A request or a base-revision tag: markers alone do not make a Limine
 * kernel (they are hints, and constants of other code can look like them). */
static bool has_limine_marks(const struct limine_scan *s)
{
    return s->count > 0 || s->has_base_tag;
}

/* The file's bytes of each loaded segment: requests, tags and markers are
 * initialised data, and relocations never change an ID, so the file tells
 * the protocol before anything is placed. */
static size_t file_views(const void *file, const struct elf_image *elf, struct limine_view *v)
{
    for (size_t i = 0; i < elf->nsegs; i++) {
        const struct elf_segment *s = &elf->segs[i];
        v[i] = (struct limine_view){ .vaddr = s->vaddr, .bytes = (uint8_t *)file + s->offset,
                                     .size = s->filesz };
    }
    return elf->nsegs;
}

EFI_STATUS limine_selected(const struct config *cfg, const void *file, UINTN size, bool *yes)
{
    static struct limine_view views[ELF_MAX_SEGMENTS];
    static struct limine_req reqs[LIMINE_REQS_MAX];
    static struct elf_image elf;
    struct limine_scan s;

    *yes = cfg->protocol == CONFIG_PROTOCOL_LIMINE;
    if (cfg->protocol != CONFIG_PROTOCOL_AUTO || elf_validate(file, size, &elf) != ELF_OK)
        return EFI_SUCCESS;   /* kernel_load reports a bad ELF */
    size_t n = file_views(file, &elf, views);
    int rc = limine_scan(views, n, reqs, LIMINE_REQS_MAX, &s);
    if (rc == -LIMINE_E_DUPLICATE || rc == -LIMINE_E_MARKERS || rc == -LIMINE_E_BASE_TAGS ||
        rc == -LIMINE_E_TRUNCATED || rc == -E_CAPACITY) {
        /* Only a Limine kernel holds these structures: it is one, and a
         * broken one. */
        scan_error(&s, rc);
        return EFI_LOAD_ERROR;
    }
    *yes = rc == 0 && has_limine_marks(&s);
    return EFI_SUCCESS;
}

/* Step L1: requests and the base revision. */
static EFI_STATUS scan_requests(struct limine_boot *B)
{
    int rc;

    B->nviews = image_views(B->k, B->views);
    if ((rc = limine_scan(B->views, B->nviews, B->reqs, LIMINE_REQS_MAX, &B->scan)) < 0) {
        scan_error(&B->scan, rc);
        return EFI_LOAD_ERROR;
    }
    if ((rc = limine_revision_decide(&B->scan, LIMINE_NEWER_REFUSE, &B->rev)) < 0) {
        con_printf("pagoda: limine: the kernel asks for base revision %lu; Pagoda serves 0 to %d\n",
                   (unsigned long)B->rev.requested, LIMINE_BASE_REVISION_MAX);
        return EFI_UNSUPPORTED;
    }
    limine_rev_rules(B->rev.booted, &B->rules);
    con_printf("pagoda: protocol=limine: %lu requests (%lu unknown: no response), base revision %lu%s\n",
               (unsigned long)B->scan.count, (unsigned long)B->scan.unknown_count,
               (unsigned long)B->rev.booted, B->rev.has_tag ? "" : " (no base-revision tag)");
    return EFI_SUCCESS;
}

/* 5-level paging needs the CPU's LA57 and limine_entry.S below 4 GiB (its
 * 32-bit part runs identity-mapped with paging off). */
static bool la57_possible(const struct limine_boot *B)
{
    return (B->features & BI_CPU_LA57) && (uintptr_t)limine_entry_end <= LA57_SWITCH_MAX_ADDR;
}

/* Step L2: what the kernel needs that Pagoda cannot give. */
static EFI_STATUS check_kernel(struct limine_boot *B)
{
    const struct limine_req *ep = limine_scan_find(&B->scan, LIMINE_REQ_ENTRY_POINT);
    struct limine_paging_ask ask;
    uint64_t mode;

    if (B->k->elf.lo < LIMINE_KERNEL_MIN) {
        con_printf("pagoda: limine: kernel at 0x%lx; the protocol loads kernels at or above 0x%lx\n",
                   (unsigned long)B->k->elf.lo, (unsigned long)LIMINE_KERNEL_MIN);
        return EFI_LOAD_ERROR;
    }
    limine_paging_ask_from(limine_scan_find(&B->scan, LIMINE_REQ_PAGING_MODE), &ask);
    if (limine_paging_decide(&ask, la57_possible(B), &mode) < 0) {
        con_printf("pagoda: limine: no paging mode in the kernel's range (min %lu, max %lu; 0 = 4-level, "
                   "1 = 5-level) on this machine (5-level paging: %s)\n", (unsigned long)ask.min_mode,
                   (unsigned long)ask.max_mode, la57_possible(B) ? "yes" : "no");
        return EFI_UNSUPPORTED;
    }
    B->paging_mode = mode;
    B->levels = mode == LIMINE_PAGING_5LVL ? 5 : 4;
    B->hhdm = mode == LIMINE_PAGING_5LVL ? LIMINE_HHDM_5LVL : LIMINE_HHDM_4LVL;
    B->entry = B->k->elf.entry;
    if (ep) {
        B->entry = limine_req_u64(ep, offsetof(struct limine_entry_point_req, entry));
        if (!limine_image_ptr(B, B->entry, 1)) {
            con_printf("pagoda: limine: entry point request 0x%lx is outside the kernel image\n",
                       (unsigned long)B->entry);
            return EFI_LOAD_ERROR;
        }
    }
    return EFI_SUCCESS;
}

/* Step L3: the stack (request or default size) and the GDT. */
static EFI_STATUS allocate_stack_gdt(struct limine_boot *B)
{
    const struct limine_req *r = limine_scan_find(&B->scan, LIMINE_REQ_STACK_SIZE);
    uint64_t asked = r ? limine_req_u64(r, offsetof(struct limine_stack_size_req, stack_size)) : 0;
    paddr_t gdt;
    EFI_STATUS st;

    /* A request can only raise the default, as in the reference loader. */
    B->stack_size = ALIGN_UP(MAX(asked, LIMINE_DEFAULT_STACK_SIZE), PAGE_SIZE);
    if (B->stack_size < asked) {
        con_printf("pagoda: limine: stack size 0x%lx asked: too large\n", (unsigned long)asked);
        return EFI_UNSUPPORTED;
    }
    /* The GDT's page also holds the handoff block and, for the 5-level
     * switch, a scratch stack: then it must lie below 4 GiB. */
    if ((st = alloc_pages(PAGODA_MEM_BOOTINFO, B->stack_size, AllocateAnyPages, 0, &B->stack_phys)) ||
        (st = alloc_pages(PAGODA_MEM_BOOTINFO, PAGE_SIZE, AllocateMaxAddress, LA57_SWITCH_MAX_ADDR, &gdt)))
        return st;
    B->gdt = (uint64_t *)(uintptr_t)gdt;
    limine_gdt_fill(B->gdt);
    B->handoff = (struct limine_handoff *)(B->gdt + LIMINE_GDT_WORDS);   /* same page */
    memset(B->handoff, 0, sizeof(*B->handoff));
    return EFI_SUCCESS;
}

/* Step L4: the arena every response lives in. */
static EFI_STATUS allocate_arena(struct limine_boot *B)
{
    paddr_t a;
    EFI_STATUS st = alloc_pages(PAGODA_MEM_BOOTINFO, LIMINE_RESP_ARENA, AllocateAnyPages, 0, &a);

    if (st)
        return st;
    B->arena = (struct limine_arena){ .base = (uint8_t *)(uintptr_t)a, .size = LIMINE_RESP_ARENA };
    memset(B->arena.base, 0, B->arena.size);
    return EFI_SUCCESS;
}

/* The static part of the handoff block; registers and CR3s come after the
 * exit (limine_machine_state, limine_build_address_space). */
static void fill_handoff(struct limine_boot *B)
{
    struct limine_handoff *h = B->handoff;

    h->hhdm = B->hhdm;
    h->gdt_limit = LIMINE_GDT_LIMIT;
    h->gdt_base = limine_kva(B, B->gdt);
    /* Spec: RSP at the top of the stack with a return address of 0 pushed,
     * so the kernel starts with RSP % 16 == 8 as after a call. */
    h->stack_top = B->hhdm + B->stack_phys + B->stack_size;
    h->entry = B->entry;
    h->strict = B->rules.strict_entry_state;
    h->la57 = B->levels == 5;
    h->gdt_phys_limit = LIMINE_GDT_LIMIT;
    h->gdt_phys_base = (uintptr_t)B->gdt;
    h->scratch_top = ALIGN_DOWN((uintptr_t)B->gdt, PAGE_SIZE) + PAGE_SIZE;
    h->pat = LIMINE_PAT_VALUE;
    h->x2apic = B->mp.x2apic;
}

/* Step L6: everything after the exit, on the current map. */
static EFI_STATUS dry_run(struct limine_boot *B)
{
    const char *what;
    EFI_STATUS st;
    int rc;

    if ((st = memmap_get(&B->mm))) {
        con_printf("pagoda: GetMemoryMap: %s\n", efi_status_str(st));
        return st;
    }
    if ((rc = limine_build_address_space(B, &what)) < 0) {
        con_printf("pagoda: limine: %s failed before ExitBootServices: %s\n", what, limine_strerror(rc));
        return EFI_LOAD_ERROR;
    }
    return EFI_SUCCESS;
}

static __attribute__((noreturn)) void limine_fatal(const char *what, int rc)
{
    con_printf("pagoda: FATAL after ExitBootServices: limine: %s: %s; resetting\n", what,
               limine_strerror(rc));
    uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, EFI_ABORTED, 0, NULL);   /* never returns */
    for (;;)
        __asm__ volatile("hlt");
}

/* Step L8: after the exit nothing may fail but a broken invariant of the
 * loader (the dry run built the same things from the map before). */
static __attribute__((noreturn)) void finish_and_enter(struct limine_boot *B)
{
    const char *what;
    int rc;

    con_after_exit();
    if ((rc = limine_build_address_space(B, &what)) < 0)
        limine_fatal(what, rc);
    limine_machine_state(B);
    limine_mp_start(B);
    if (B->mp.resp && B->mp.tsc_hz) {   /* COM1 only now; a measurement, not a check */
        const struct limine_mp *mp = &B->mp;
        uint64_t per_us = mp->tsc_hz / 1000000;
        /* ebs_tsc and tsc_hz let the kernel's own TSC stamps be placed
         * on the same time line (tests/bench/limine-mp.sh). */
        con_printf("pagoda: limine: mp aps=%u parked=%u bringup_us=%lu mode=%s init_wait_us=%u "
                   "sipi_wait_us=%u ebs_to_parked_us=%lu ebs_tsc=%lu tsc_hz=%lu\n", mp->started, mp->parked,
                   (unsigned long)(mp->bringup_tsc / per_us), mp->serial ? "serial" : "parallel",
                   mp->timing.init_wait_us, mp->timing.sipi_wait_us,
                   (unsigned long)((mp->parked_tsc - mp->ebs_tsc) / per_us), (unsigned long)mp->ebs_tsc,
                   (unsigned long)mp->tsc_hz);
    }
    limine_enter(B->handoff);
}

EFI_STATUS limine_boot(EFI_HANDLE image, const struct config *cfg, struct kernel_load *k,
                       const void *file, UINTN file_size, unsigned caps)
{
    static struct limine_boot B;
    UINT32 attempts;
    EFI_STATUS st;

    B = (struct limine_boot){ .image = image, .cfg = cfg, .k = k, .file = file,
                              .file_size = file_size, .caps = caps, .features = platform_cpu_features(),
                              .levels = 4, .hhdm = LIMINE_HHDM_4LVL };
    /* L1 requests, base revision; L2 what cannot be served */
    if ((st = scan_requests(&B)) || (st = check_kernel(&B)))
        return st;
    /* L3 stack, GDT, handoff block; L4 responses (files and modules read) */
    if ((st = allocate_stack_gdt(&B)) || (st = allocate_arena(&B)))
        return st;
    limine_tables_find(&B.tables);
    platform_find_framebuffer(&B.fb);
    if ((st = limine_responses(&B)))
        return st;
    fill_handoff(&B);
    /* L5 memory-map storage and the page-table pool, sized on the current
     * map; L6 the dry run */
    if ((st = limine_paging_prepare(&B)) || (st = dry_run(&B)))
        return st;
    /* The handshake's write-back last: nothing below refuses the kernel. */
    limine_revision_apply(&B.scan, &B.rev);
    con_printf("pagoda: limine: %d-level paging, HHDM at 0x%lx, stack %lu KiB; exiting boot services\n",
               B.levels, (unsigned long)B.hhdm, (unsigned long)(B.stack_size / KiB));

    /* L7 exit: no output, allocation or protocol call from here on */
    st = memmap_exit_boot_services(image, &B.mm, &attempts);
    B.mp.ebs_tsc = rdtsc();
    if (EFI_ERROR(st)) {
        con_after_exit();
        con_printf("pagoda: ExitBootServices failed after %u attempts: %s\n", attempts,
                   efi_status_str(st));
        uefi_call_wrapper(RT->ResetSystem, 4, EfiResetCold, st, 0, NULL);
        return st;
    }
    /* L8 after the exit: only a broken invariant of the loader can fail */
    finish_and_enter(&B);
}
