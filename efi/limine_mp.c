/* The MP request: the loader starts every AP itself (the Limine protocol
 * requires it) and parks it on the kernel's page tables until the kernel
 * writes the AP's goto_address.
 *
 * The APIC mode is decided first (choose_apic_mode): x2APIC as the
 * request's flag asks, else xAPIC, a firmware's x2APIC turned back.
 *
 * Before the exit: the CPUs are the MADT's enabled processors; which of
 * them to start is shared/apslots.c's choice (the BSP, duplicates, IDs an
 * xAPIC cannot address are left out), as for Pagoda's own kernel. Each AP
 * gets a slot (APIC ID, stack, info struct), a stack of the requested size
 * and an info struct in bootloader-reclaimable memory; the trampoline page
 * lies below 1 MiB; the response lists the BSP and every slot.
 *
 * After the exit, before the BSP's own jump: the trampoline the kernel also
 * uses (shared/ap_trampoline.S) is copied to its page, and every AP gets
 * INIT, then two SIPIs, all at once, with lapic.c's ICR encoding and the
 * kernel's waits (shared/ap_start_timing.c: none after INIT on modern
 * CPUs). `limine_smp=serial` starts one AP at a time with the SDM's full
 * waits and its own deadline each: the baseline of a loader that starts
 * its APs one by one (make bench). Each AP
 * finds its slot by APIC ID (limine_ap.S), says alive (READY -> ALIVE, the
 * handshake of include/apslots.h), sets the protocol's entry state and
 * spins on its goto_address. At the deadline apslots_decide settles every
 * slot once: an AP that never said alive is INITed (back to
 * wait-for-SIPI) and left out of the response. */
#include <string.h>

#include "ap_start_timing.h"
#include "lapic.h"
#include "limine.h"
#include "x86/apic_mode.h"
#include "x86/cpu.h"
#include "x86/lapic_cpu.h"
#include "x86/trampoline.h"

/* The deadline for saying alive, from the first INIT; as kernel/smp.c's
 * AP_ALIVE_TIMEOUT_US (32 CPUs under TCG need 15-20 ms; emulator load). */
#define AP_ALIVE_TIMEOUT_US  500000
#define MP_RESP_REVISION     0

/* The slot table, sized from the MADT's processors (limine_mp_prepare),
 * in bootloader-reclaimable pages: limine_ap.S reads limine_ap_slots_kva
 * and limine_ap_count RIP-relative at the loader's HHDM alias. */
struct ap_slot *limine_ap_slots;
uint64_t limine_ap_slots_kva;
uint32_t limine_ap_count;
uint64_t limine_ap_block;


/* ---- local APIC access after the exit (firmware tables, identity) ------- */

/* This CPU's APIC ID from its local APIC. */
static uint32_t bsp_apic_id(void)
{
    struct lapic_io io = lapic_io_identity();

    return lapic_cpu_own_id(&io);
}

/* ---- before the exit ---------------------------------------------------- */

static uint32_t madt_uid(const struct limine_tables *t, uint32_t apic_id)
{
    for (size_t i = 0; i < t->ncpus; i++)
        if (t->cpus[i].apic_id == apic_id)
            return t->cpus[i].uid;
    return 0;
}

/* The MADT's processors as the slot builder's CPU list, the BSP flagged. */
static uint32_t cpu_list(const struct limine_tables *t, uint32_t bsp, struct bootinfo_cpu *out)
{
    uint32_t n = 0;

    for (size_t i = 0; i < t->ncpus; i++)
        out[n++] = (struct bootinfo_cpu){ .apic_id = t->cpus[i].apic_id,
                                          .flags = CPU_FLAG_ENABLED | CPU_FLAG_HEALTHY |
                                                   (t->cpus[i].apic_id == bsp ? CPU_FLAG_BSP : 0) };
    return n;
}

static EFI_STATUS arena_full(void)
{
    con_printf("pagoda: limine: the response arena is full (MP)\n");
    return EFI_OUT_OF_RESOURCES;
}

/* Stacks (one allocation) and the trampoline page; without a page below
 * 1 MiB no AP can start: the response then lists the BSP alone. */
static EFI_STATUS allocate_ap_memory(struct limine_boot *B)
{
    struct limine_mp *mp = &B->mp;
    EFI_STATUS st;

    if (limine_ap_count == 0)
        return EFI_SUCCESS;
    if (alloc_pages(PAGODA_MEM_TRAMPOLINE, PAGE_SIZE, AllocateMaxAddress, TRAMPOLINE_MAX_ADDR,
                    &mp->tramp) != EFI_SUCCESS) {
        con_printf("pagoda: limine: no page below 1 MiB for the AP trampoline: the APs stay off\n");
        mp->tramp = 0;
        limine_ap_count = 0;
        return EFI_SUCCESS;
    }
    if ((st = alloc_pages(PAGODA_MEM_BOOTINFO, limine_ap_count * B->stack_size, AllocateAnyPages, 0,
                          &mp->stacks)))
        return st;
    return EFI_SUCCESS;
}

/* The APIC mode every CPU gets (spec, MP feature): x2APIC when the
 * request's flag asks and it is possible (CPUID; the DMAR's opt-out, VT-d
 * 8.1), xAPIC otherwise. A firmware that left x2APIC on is turned back to
 * xAPIC when the kernel did not ask; "if x2APIC cannot be disabled, the
 * bootloader will fail to boot": so when x2APIC is locked on, or the BSP's
 * own APIC ID does not fit an xAPIC. APs whose IDs do not fit are left out
 * (apslots_build), as the reference loader does. */
static EFI_STATUS choose_apic_mode(struct limine_boot *B, const struct limine_req *r, uint32_t bsp)
{
    struct limine_mp *mp = &B->mp;
    uint64_t flags;
    bool optout = B->tables.dmar && (B->tables.dmar_flags & DMAR_FLAG_INTR_REMAP) &&
                  (B->tables.dmar_flags & DMAR_FLAG_X2APIC_OPT_OUT);

    memcpy(&flags, r->ptr + offsetof(struct limine_mp_req, flags), sizeof(flags));
    mp->fw_x2apic = apic_x2apic_on();
    mp->x2apic = (flags & LIMINE_MP_REQ_X2APIC) && apic_x2apic_supported() && !optout;
    if (mp->fw_x2apic && !mp->x2apic) {
        if (apic_x2apic_locked()) {
            con_printf("pagoda: limine: x2APIC is locked on (IA32_XAPIC_DISABLE_STATUS) and the kernel "
                       "does not take it (MP request flags 0x%lx)\n", (unsigned long)flags);
            return EFI_UNSUPPORTED;
        }
        if (bsp > XAPIC_MAX_ID) {
            con_printf("pagoda: limine: the BSP's APIC ID %u needs x2APIC and the kernel does not take it "
                       "(MP request flags 0x%lx)\n", bsp, (unsigned long)flags);
            return EFI_UNSUPPORTED;
        }
        con_printf("pagoda: limine: the firmware left x2APIC on; every CPU goes back to xAPIC (not asked%s)\n",
                   optout ? ", or the DMAR opts out" : "");
    }
    return EFI_SUCCESS;
}

static void report_unaddressable(const struct limine_boot *B)
{
    unsigned n = 0;

    for (size_t i = 0; i < B->tables.ncpus; i++)
        n += B->tables.cpus[i].apic_id > XAPIC_MAX_ID;
    if (n && !B->mp.x2apic)
        con_printf("pagoda: limine: %u CPU(s) with APIC IDs above %u stay off in xAPIC mode\n", n, XAPIC_MAX_ID);
}

/* The kernel's policy (kernel/smp.c): the SDM's waits unless the BSP's
 * CPUID says they are not needed; serial mode keeps them, as the loaders
 * it stands for do. */
static struct ap_start_timing choose_timing(bool serial)
{
    if (serial)
        return ap_start_timing_legacy();
    struct cpuid_regs v = cpuid(0, 0), f = cpuid(1, 0);
    return ap_start_timing_for(cpu_vendor_from_cpuid0(v.ebx, v.ecx, v.edx), cpu_family_from_cpuid1(f.eax));
}

/* The slot builder's input (pool, freed once the slots are built) and the
 * slot table, both sized from the MADT's count. */
static EFI_STATUS build_slots(struct limine_boot *B, uint32_t bsp)
{
    const struct limine_tables *t = &B->tables;
    struct bootinfo_cpu *cpus;
    paddr_t slots;
    EFI_STATUS st;

    limine_ap_count = 0;
    if (t->ncpus == 0)
        return EFI_SUCCESS;
    if ((st = alloc_pages(PAGODA_MEM_BOOTINFO, t->ncpus * sizeof(struct ap_slot), AllocateAnyPages, 0, &slots)))
        return st;
    limine_ap_slots = (struct ap_slot *)(uintptr_t)slots;
    limine_ap_slots_kva = B->hhdm + slots;
    if ((st = uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, t->ncpus * sizeof(*cpus), (void **)&cpus)))
        return st;
    limine_ap_count = apslots_build(cpus, cpu_list(t, bsp, cpus), B->mp.x2apic, 1, limine_ap_slots,
                                    (uint32_t)t->ncpus, NULL);
    uefi_call_wrapper(BS->FreePool, 1, cpus);   /* fails only for a foreign buffer */
    return EFI_SUCCESS;
}

EFI_STATUS limine_mp_prepare(struct limine_boot *B, const struct limine_req *r)
{
    struct limine_mp *mp = &B->mp;
    const struct limine_tables *t = &B->tables;
    uint32_t bsp = bsp_apic_id();
    EFI_STATUS st;

    if (!tramp_image_fits()) {   /* a loader bug: say so before the exit */
        con_printf("pagoda: limine: AP trampoline overlaps its parameter block\n");
        return EFI_LOAD_ERROR;
    }
    if ((st = choose_apic_mode(B, r, bsp)))
        return st;
    if (t->cpus_truncated)
        con_printf("pagoda: limine: no memory for the MADT's processor list; the APs stay off\n");
    if ((st = build_slots(B, bsp)))
        return st;
    report_unaddressable(B);
    if ((st = allocate_ap_memory(B)))
        return st;
    uint32_t listed = 1 + limine_ap_count;
    mp->resp = limine_arena_alloc(&B->arena, sizeof(*mp->resp));
    mp->cpu_ptrs = limine_arena_alloc(&B->arena, listed * sizeof(uint64_t));
    struct limine_mp_info *info = limine_arena_alloc(&B->arena, listed * sizeof(*info));
    if (!mp->resp || !mp->cpu_ptrs || !info)
        return arena_full();
    mp->bsp_info = &info[0];
    info[0] = (struct limine_mp_info){ .processor_id = madt_uid(t, bsp), .lapic_id = bsp };
    mp->cpu_ptrs[0] = limine_kva(B, &info[0]);
    for (uint32_t i = 0; i < limine_ap_count; i++) {
        struct ap_slot *s = &limine_ap_slots[i];
        info[1 + i] = (struct limine_mp_info){ .processor_id = madt_uid(t, s->apic_id), .lapic_id = s->apic_id };
        mp->cpu_ptrs[1 + i] = limine_kva(B, &info[1 + i]);
        s->cpu = (void *)(uintptr_t)limine_kva(B, &info[1 + i]);   /* read by the AP, through the HHDM */
        s->stack_top = B->hhdm + mp->stacks + (i + 1) * B->stack_size;
    }
    *mp->resp = (struct limine_mp_resp){ .revision = MP_RESP_REVISION, .flags = mp->x2apic ? LIMINE_MP_RESP_X2APIC : 0,
                                         .bsp_lapic_id = bsp, .cpu_count = listed,
                                         .cpus = limine_kva(B, mp->cpu_ptrs) };
    limine_req_set_response(r, limine_kva(B, mp->resp));
    uint32_t ppm;   /* the delays need no bound: a stall-timed estimate errs long */
    mp->tsc_hz = tsc_estimate_end(&ppm);   /* the delays; with no AP, still the mp line's times */
    mp->serial = B->cfg->limine_smp == CONFIG_LIMINE_SMP_SERIAL;
    mp->timing = choose_timing(mp->serial);
    con_printf("pagoda: limine: MP: %u CPUs in the MADT, %u APs to start (%s, %s, init_wait_us=%u "
               "sipi_wait_us=%u)\n", (unsigned)t->ncpus, limine_ap_count, mp->x2apic ? "x2APIC" : "xAPIC",
               mp->serial ? "serial" : "parallel", mp->timing.init_wait_us, mp->timing.sipi_wait_us);
    return EFI_SUCCESS;
}

/* ---- after the exit ------------------------------------------------------ */

static void delay_us(const struct limine_mp *mp, uint64_t us)
{
    uint64_t end = rdtsc() + mp->tsc_hz / US_PER_SECOND * us;

    while (rdtsc() < end)
        cpu_pause();
}

static void trampoline_install(const struct limine_boot *B)
{
    const struct tramp_target target = {
        .cr3_32 = (uint32_t)B->handoff->trans_cr3,
        .efer_set = (uint32_t)(EFER_LME | ((B->caps & PT_CAP_NX) ? EFER_NXE : 0)),
        .cr4 = (uint32_t)(CR4_PAE | (B->levels == 5 ? CR4_LA57 : 0)),
        .entry64 = B->hhdm + (uintptr_t)limine_ap_entry64,
        .cr3_final = B->handoff->final_cr3,
    };
    tramp_install((uint8_t *)(uintptr_t)B->mp.tramp, (uint32_t)B->mp.tramp, &target);
}

static unsigned slots_ready(void)
{
    unsigned n = 0;

    for (uint32_t i = 0; i < limine_ap_count; i++)
        n += apslots_state(&limine_ap_slots[i]) == AP_STATE_READY;
    return n;
}

/* IPI failures after the exit cannot be reported (COM1 only) nor undone:
 * an AP whose IPI failed never says alive and is left out like any other
 * that does not answer. */
static void send_all(const struct lapic_io *io, uint32_t page, bool startup)
{
    for (uint32_t i = 0; i < limine_ap_count; i++) {
        const struct ap_slot *s = &limine_ap_slots[i];
        if (startup && apslots_state(s) == AP_STATE_READY)
            (void)lapic_send_startup(io, s->apic_id, page);
        else if (!startup)
            (void)lapic_send_init(io, s->apic_id);
    }
}

/* The response keeps the BSP and every AP that said alive, in slot order. */
static void compact_response(struct limine_boot *B)
{
    struct limine_mp *mp = &B->mp;
    uint64_t n = 1;

    for (uint32_t i = 0; i < limine_ap_count; i++)
        if (apslots_state(&limine_ap_slots[i]) == AP_STATE_RELEASED)
            mp->cpu_ptrs[n++] = (uint64_t)(uintptr_t)limine_ap_slots[i].cpu;
    mp->resp->cpu_count = n;
}

/* One AP, INIT to alive or its own deadline (serial mode). */
static void start_one(const struct lapic_io *io, const struct limine_mp *mp, struct ap_slot *s, uint32_t page)
{
    uint64_t deadline = rdtsc() + mp->tsc_hz / US_PER_SECOND * AP_ALIVE_TIMEOUT_US;

    (void)lapic_send_init(io, s->apic_id);
    delay_us(mp, mp->timing.init_wait_us);
    (void)lapic_send_startup(io, s->apic_id, page);
    delay_us(mp, mp->timing.sipi_wait_us);
    if (apslots_state(s) == AP_STATE_READY)
        (void)lapic_send_startup(io, s->apic_id, page);
    while (apslots_state(s) == AP_STATE_READY && rdtsc() < deadline)
        cpu_pause();
}

/* All APs at once: INIT, the wait, SIPI, the wait, a second SIPI to those
 * not alive yet, then one deadline from the first INIT. */
static void start_all(const struct lapic_io *io, const struct limine_mp *mp, uint32_t page, uint64_t t0)
{
    uint64_t deadline = t0 + mp->tsc_hz / US_PER_SECOND * AP_ALIVE_TIMEOUT_US;

    send_all(io, page, false);
    delay_us(mp, mp->timing.init_wait_us);
    send_all(io, page, true);
    delay_us(mp, mp->timing.sipi_wait_us);
    send_all(io, page, true);
    while (slots_ready() && rdtsc() < deadline)
        cpu_pause();
}

void limine_mp_start(struct limine_boot *B)
{
    struct limine_mp *mp = &B->mp;

    if (!mp->resp)
        return;
    if (!limine_ap_count) {
        mp->parked_tsc = rdtsc();   /* nothing to start: decided at once */
        return;
    }
    struct lapic_io io = lapic_io_identity();
    uint32_t page = (uint32_t)(mp->tramp >> PAGE_SHIFT);
    limine_ap_block = limine_kva(B, B->handoff);
    trampoline_install(B);
    for (uint32_t i = 0; i < limine_ap_count; i++)
        limine_ap_slots[i].state = AP_STATE_READY;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    uint64_t t0 = rdtsc();
    if (mp->serial)
        for (uint32_t i = 0; i < limine_ap_count; i++)
            start_one(&io, mp, &limine_ap_slots[i], page);
    else
        start_all(&io, mp, page, t0);
    mp->parked_tsc = rdtsc();   /* every AP alive (spinning on goto_address) or given up */
    for (uint32_t i = 0; i < limine_ap_count; i++) {
        struct ap_slot *s = &limine_ap_slots[i];
        enum ap_fate f = apslots_decide(s);
        if (f == AP_FATE_PARKED) {
            (void)lapic_send_init(&io, s->apic_id);
            mp->parked++;
            con_printf("pagoda: limine: cpu apic=%u did not answer; left out of the MP response\n",
                       s->apic_id);
        } else if (f == AP_FATE_RELEASED) {
            mp->started++;
        }
    }
    mp->bringup_tsc = rdtsc() - t0;
    compact_response(B);
}
