/* Bringing the application processors up onto the kernel's one PML4, all at
 * once: every AP gets INIT together, then its SIPIs together, and finds its
 * own slot (stack, struct cpu) by APIC ID in the trampoline, so bring-up time
 * stays nearly flat as the CPU count grows. `pagoda.smp=serial` starts them
 * one at a time with the INIT/SIPI waits each, as a baseline.
 *
 * Sequence per the SDM (Vol. 3A 8.4.4.1): INIT (level assert), a wait, SIPI,
 * a wait, second SIPI to the CPUs that have not checked in. The waits are
 * the SDM's 10 ms and 200 us only on CPUs that need them, or when
 * `pagoda.smp.init_delay=legacy` says so; modern CPUs need no wait after
 * INIT (include/ap_start_timing.h). Delays come from the TSC (timer.c).
 *
 * Handshake (include/apslots.h): an AP says alive, waits for the BSP's
 * release and only then enters cpus[] and the online count. At its deadline
 * the BSP releases every AP that said alive and INITs the others; a
 * compare-and-swap on the slot state settles an AP that answers at that
 * very moment. Every wait for another CPU is bounded and names the CPUs
 * that did not answer. */
#include <string.h>

#include "ap_start_timing.h"
#include "apslots.h"
#include "kernel.h"
#include "lapic.h"
#include "x86/cpu.h"
#include "x86/pte.h"
#include "x86/trampoline.h"

/* The BSP's deadline for saying alive, per wave (parallel) or per CPU
 * (serial), from the last SIPI. 32 CPUs under TCG on 2 host cores say
 * alive in 15-20 ms, but one run beside other emulators left 4 of 32 short
 * of a 250 ms deadline: half a second, which still keeps the "late" boot
 * test short. */
#define AP_ALIVE_TIMEOUT_US   500000
/* ... plus this per AP in the wave: the deadline names dead CPUs, it does
 * not time live ones, and under emulation every vCPU is a host thread that
 * must be scheduled (288 vCPUs on 2 busy host cores: 3-5 s to online, and
 * 10 ms per AP still parked 2 of them). */
#define AP_ALIVE_PER_AP_US    50000
/* An AP's wait for its release: the BSP's deadline plus time to decide and
 * print, several times over. */
#define AP_RELEASE_FACTOR     8
/* SIPIs again, this often, to the APs that have not said alive: a SIPI that
 * arrives while the AP's INIT is still pending is lost (an emulator's vCPU
 * thread that has not run since the INIT; 288 vCPUs on 2 host cores lost
 * 16 APs that way), and a CPU not in wait-for-SIPI ignores one (SDM Vol. 3A
 * 8.4.4.1), so the APs already running are not disturbed. */
#define SIPI_RESEND_US        50000
#define FOUR_GIB           (4 * GiB)
#define CPU_STRUCT_BYTES   64 * KiB   /* power of two >= sizeof(struct cpu) */
_Static_assert(sizeof(struct cpu) <= CPU_STRUCT_BYTES, "struct cpu outgrew its allocation");

extern char ap_entry64[];

/* Read by the trampoline (ap_entry64): the table it scans for its APIC ID,
 * allocated to fit the CPU list (select_slots). */
struct ap_slot *ap_slots;
uint32_t ap_slot_count;

/* By index; NULL until online. The BSP's own entry until select_slots
 * allocates the table for every CPU to start. */
static struct cpu *bsp_only[1];
static struct cpu **cpus = bsp_only;
static unsigned cpu_count = 1;                /* indices handed out, BSP = 0 */
static volatile unsigned online = 1;
static uint64_t bsp_pat;                      /* the PAT every AP copies */
static const struct smp_options *options;
static struct ap_start_timing timing;
/* The TSC of the loader's INIT to all but self (BI_BOOT_APS_INIT), 0 if it
 * sent none: the parallel wave then sends no INIT of its own. */
static uint64_t loader_init_tsc;
static unsigned sipi_resent;                  /* SIPIs sent again (SIPI_RESEND_US) */

/* The BSP's deadline for a wave of `aps` APs to say alive, from its last
 * SIPI; also the bound for released APs to publish themselves. */
static uint64_t alive_timeout_us(uint32_t aps)
{
    return AP_ALIVE_TIMEOUT_US + (uint64_t)AP_ALIVE_PER_AP_US * aps;
}

/* An AP's wait for its release: past the longest deadline, the parallel wave's. */
static uint64_t release_timeout_us(void)
{
    return AP_RELEASE_FACTOR * alive_timeout_us(ap_slot_count);
}

unsigned smp_online_count(void) { return online; }
static bool all_online;                        /* set once by smp_boot */
bool smp_all_online(void) { return all_online; }
unsigned smp_cpu_count(void) { return cpu_count; }
struct cpu *smp_cpu(unsigned index) { return index < cpu_count ? cpus[index] : NULL; }

static paddr_t low_frame_alloc(void *ctx)
{
    paddr_t pa;
    (void)ctx;
    return falloc_alloc(&kmem.fa, PAGE_SIZE, FOUR_GIB, PMEM_KERNEL_PAGETABLES, &pa) == 0 ? pa : 0;
}

static void low_frame_free(void *ctx, paddr_t pa)
{
    (void)ctx;
    if (falloc_free(&kmem.fa, pa, PAGE_SIZE, PMEM_KERNEL_PAGETABLES) != 0)
        panic("smp: transitional table frame 0x%lx was not allocated", (unsigned long)pa);
}

static void *hhdm(void *ctx, paddr_t pa)
{
    (void)ctx;
    return phys_to_virt(pa);
}

/* Transitional tables for the 32-bit CR3 load: a root below 4 GiB whose
 * upper half is the kernel's (same entries, same lower tables) and whose
 * lower half identity-maps the trampoline page. The allocator is used
 * directly, without the kmem lock: only the BSP runs while they are built
 * and freed (APs wait for their release, or sit idle, and never allocate). */
static int transitional_build(struct pt *t, paddr_t tramp)
{
    /* The clone takes its frames from the env it is given: the low one. */
    const struct pt_env low = { .alloc_frame = low_frame_alloc, .free_frame = low_frame_free,
                                .phys_to_ptr = hhdm };
    int rc = pt_clone_kernel_half(t, &low, &kmem.pt);
    if (rc)
        return rc;
    return pt_map(t, tramp, tramp, PAGE_SIZE, PT_MAP_EXEC);
}

/* Only the lower half is ours: unmapping the page frees its tables. The
 * page was mapped with one 4 KiB leaf, so no split (the one way pt_unmap
 * fails) can be needed. */
static void transitional_free(struct pt *t, paddr_t tramp)
{
    if (pt_unmap(t, tramp, PAGE_SIZE) != 0)
        panic("smp: unmapping the trampoline page from the transitional tables failed");
    low_frame_free(NULL, t->root);
}

static void trampoline_install(const struct bootinfo *bi, const struct pt *t)
{
    if (!tramp_image_fits())
        panic("smp: trampoline code overlaps its parameter block");
    const struct tramp_target target = {
        .cr3_32 = (uint32_t)t->root,
        .efer_set = (uint32_t)(EFER_LME | ((bi->cpu_features & BI_CPU_NX) ? EFER_NXE : 0)),
        .cr4 = (uint32_t)(CR4_PAE | (kmem.pt.levels == PT_LEVELS_MAX ? CR4_LA57 : 0)),
        .entry64 = (uint64_t)ap_entry64,
        .cr3_final = kmem.pt.root,
    };
    tramp_install(phys_to_virt(bi->trampoline), (uint32_t)bi->trampoline, &target);
}

/* Why no AP is started, or NULL. The CPU list must tell the BSP (this CPU,
 * by its local APIC's ID) from the APs, or an INIT could hit the BSP. */
static const char BSP_MISMATCH[] = "bsp-apic-mismatch";

static const char *smp_unavailable(const struct bootinfo *bi)
{
    if (!bi->trampoline)
        return "no-trampoline-page";
    if (bi->cpu_count <= 1)
        return "single-cpu";
    if (!apslots_bsp_consistent(bootinfo_cpus(bi, bi->hhdm_base), bi->cpu_count, bi->bsp_apic_id,
                                this_cpu()->apic_id))
        return BSP_MISMATCH;
    return NULL;
}

/* Which APs to start (apslots.c decides); skipped ones are reported once.
 * The slot table and the CPU table are sized from the loader's list: at
 * most every listed CPU but the BSP gets a slot. */
static void select_slots(const struct bootinfo *bi)
{
    const struct bootinfo_cpu *list = bootinfo_cpus(bi, bi->hhdm_base);
    uint32_t n = bi->cpu_count;
    enum ap_skip_reason *reasons = ktable_alloc(n, sizeof(*reasons));

    ap_slots = ktable_alloc(n, sizeof(*ap_slots));
    ap_slot_count = apslots_build(list, n, apic_is_x2apic(), 1, ap_slots, n, reasons);
    for (uint32_t i = 0; i < n; i++)
        if (reasons[i] != AP_START && reasons[i] != AP_SKIP_BSP)
            kprintf("pagoda: cpu apic=%u skipped reason=%s\n", list[i].apic_id,
                    apslots_reason_name(reasons[i]));
    struct cpu **table = ktable_alloc(1 + ap_slot_count, sizeof(*table));
    table[0] = cpus[0];
    cpus = table;
}

/* Each slot gets a stack behind a guard page and a struct cpu. They stay
 * allocated whatever becomes of the AP: one that was parked may still be
 * running on them until its INIT lands. A failure is fatal and says which
 * resource ran out for which AP (the stacks' virtual ranges once did, at
 * 255 APs: "out of memory" hid it). */
static void equip_slots(void)
{
    paddr_t pa;
    int rc;

    for (uint32_t i = 0; i < ap_slot_count; i++) {
        struct ap_slot *s = &ap_slots[i];
        if ((rc = kmem_alloc_stack(KERNEL_STACK_SIZE, &s->stack_top, &pa)) != 0)
            panic("smp: no stack for AP %u of %u (error %d)", i + 1, ap_slot_count, rc);
        if ((rc = kmem_alloc_frame(CPU_STRUCT_BYTES, PMEM_KERNEL_DATA, &pa)) != 0)
            panic("smp: no struct cpu for AP %u of %u (error %d)", i + 1, ap_slot_count, rc);
        s->cpu = phys_to_virt(pa);
        s->state = AP_STATE_READY;
    }
    cpu_count = 1 + ap_slot_count;
}

static void send_or_report(int rc, const struct ap_slot *s, const char *what)
{
    if (rc)
        kprintf("pagoda: cpu apic=%u %s IPI failed (%d), esr=0x%x\n", s->apic_id, what, rc,
                lapic_read_esr(apic_io()));
}

/* Firmware leaves its APs in a loop after ExitBootServices (OVMF: in
 * reserved memory, HLT or a spin). INIT puts them in wait-for-SIPI at once,
 * so none spins, wakes or uses power (or, in a VM, host time) while the
 * kernel starts up; smp_boot later runs the full INIT-SIPI-SIPI anyway. */
void smp_quiesce_firmware_aps(const struct bootinfo *bi)
{
    if (smp_unavailable(bi))
        return;
    select_slots(bi);
    if (bi->boot_flags & BI_BOOT_APS_INIT)
        return;   /* the loader did it right after ExitBootServices */
    for (uint32_t i = 0; i < ap_slot_count; i++)
        send_or_report(lapic_send_init(apic_io(), ap_slots[i].apic_id), &ap_slots[i], "INIT");
}

static bool in_scope(const struct ap_slot *s, const struct ap_slot *only)
{
    return !only || s == only;
}

static bool test_hook(bool set, uint32_t apic, const struct ap_slot *s)
{
    return set && s->apic_id == apic;
}

/* Returns how many SIPIs it sent. */
static unsigned sipi_pending(uint32_t page, const struct ap_slot *only)
{
    unsigned sent = 0;

    for (uint32_t i = 0; i < ap_slot_count; i++) {
        const struct ap_slot *s = &ap_slots[i];
        if (!in_scope(s, only) || apslots_state(s) != AP_STATE_READY ||
            test_hook(options->withhold, options->withhold_apic, s))
            continue;
        send_or_report(lapic_send_startup(apic_io(), s->apic_id, page), s, "STARTUP");
        sent++;
    }
    return sent;
}

/* One wave, or one CPU when `only` is set: INIT, wait, SIPI, wait, SIPI. */
static void start_wave(uint32_t page, const struct ap_slot *only)
{
    if (!only && loader_init_tsc) {
        /* Every AP has sat in wait-for-SIPI since the loader's INIT, and
         * none has been sent anything since: only what is left of the wait
         * after INIT remains (none on a CPU that needs none). One INIT per
         * AP here cost ~0.5 ms each under TCG, 60 ms at 128 CPUs. */
        uint64_t ready = loader_init_tsc + timer_us_to_ticks(timing.init_wait_us);
        while (rdtsc() < ready)
            cpu_pause();
    } else {
        for (uint32_t i = 0; i < ap_slot_count; i++)
            if (in_scope(&ap_slots[i], only))
                send_or_report(lapic_send_init(apic_io(), ap_slots[i].apic_id), &ap_slots[i], "INIT");
        timer_delay_us(timing.init_wait_us);   /* exact; the APs sit in INIT, nothing to yield to */
    }
    (void)sipi_pending(page, only);
    timer_delay_us(timing.sipi_wait_us);
    (void)sipi_pending(page, only);
}

static unsigned slots_in_state(const struct ap_slot *only, uint32_t state)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < ap_slot_count; i++)
        n += in_scope(&ap_slots[i], only) && apslots_state(&ap_slots[i]) == state;
    return n;
}

/* The BSP sleeps between looks rather than spinning: on a real machine it
 * makes no difference, under emulation it leaves the host's cores to the
 * APs being started. Each AP wakes it when it says alive and when it is
 * online, so the slice only bounds how late a deadline is noticed. */
#define WAIT_SLICE_US 1000
/* An AP waiting for its release is woken by the BSP's IPI; its slice only
 * bounds the delay when that IPI is lost, so it can be long (fewer
 * pointless wake-ups for dozens of waiting APs). */
#define AP_WAIT_SLICE_US 20000

/* Until no slot in scope is in `state`, or the deadline. */
static void wait_while(const struct ap_slot *only, uint32_t state, uint64_t deadline)
{
    while (slots_in_state(only, state) && rdtsc() < deadline)
        apic_sleep_us(WAIT_SLICE_US);
}

/* The deadline has come (or every AP said alive): each slot's fate, once.
 * Released APs are woken to publish themselves; APs that never said alive
 * get INIT, which puts them back into wait-for-SIPI wherever they were. */
static void decide(const struct ap_slot *only)
{
    for (uint32_t i = 0; i < ap_slot_count; i++) {
        struct ap_slot *s = &ap_slots[i];
        if (!in_scope(s, only))
            continue;
        switch (apslots_decide(s)) {
        case AP_FATE_RELEASED:
            /* A lost wake-up only delays it: it looks again every slice. */
            (void)apic_send_ipi_vector(s->apic_id, VEC_WAKEUP);
            break;
        case AP_FATE_PARKED:
            /* pagoda.smp.late: the INIT is withheld, standing in for one
             * the AP does not take at once (held pending while it is in
             * SMM), so the AP meets its parked slot itself. */
            if (!test_hook(options->late, options->late_apic, s))
                send_or_report(lapic_send_init(apic_io(), s->apic_id), s, "INIT");
            kprintf("pagoda: cpu apic=%u did not answer; carrying on without it\n", s->apic_id);
            break;
        case AP_FATE_GAVE_UP:
            kprintf("pagoda: cpu apic=%u said alive but was not released in time; carrying on "
                    "without it\n", s->apic_id);
            break;
        case AP_FATE_DECIDED:
            break;
        }
    }
}

/* Until every AP in scope said alive, or the deadline; SIPIs again every
 * SIPI_RESEND_US to those that have not (see there). */
static void wait_alive(uint32_t page, const struct ap_slot *only, uint64_t deadline)
{
    uint64_t resend = rdtsc() + timer_us_to_ticks(SIPI_RESEND_US);

    while (slots_in_state(only, AP_STATE_READY) && rdtsc() < deadline) {
        apic_sleep_us(WAIT_SLICE_US);
        if (rdtsc() >= resend) {
            sipi_resent += sipi_pending(page, only);
            resend = rdtsc() + timer_us_to_ticks(SIPI_RESEND_US);
        }
    }
}

/* A released AP that does not reach ONLINE may have half-published itself
 * (in cpus[] but not counted): nothing after this could trust the CPU
 * table, so that is fatal. */
static void wait_published(const struct ap_slot *only, uint64_t timeout_us)
{
    char late[SMP_LIST_CHARS];
    size_t n = 0;

    wait_while(only, AP_STATE_RELEASED, rdtsc() + timer_us_to_ticks(timeout_us));
    if (slots_in_state(only, AP_STATE_RELEASED) == 0)
        return;
    late[0] = '\0';
    for (uint32_t i = 0; i < ap_slot_count; i++)
        if (in_scope(&ap_slots[i], only) && apslots_state(&ap_slots[i]) == AP_STATE_RELEASED)
            n = smp_list_add(late, sizeof(late), n, ap_slots[i].apic_id);
    panic("smp: cpus %s were released but did not come online within %lu ms", late,
          (unsigned long)(timeout_us / 1000));
}

/* One wave (or one CPU in serial mode), start to finish. */
/* The deadline runs from the wave's last SIPI, not its first INIT: under
 * emulation sending 287 INITs and SIPIs took most of a 3.4 s deadline
 * counted from the first, and an AP was parked without its SIPI sent again. */
static void bring_up(uint32_t page, const struct ap_slot *only)
{
    uint64_t timeout_us = alive_timeout_us(only ? 1 : ap_slot_count);

    start_wave(page, only);
    wait_alive(page, only, rdtsc() + timer_us_to_ticks(timeout_us));
    decide(only);
    wait_published(only, timeout_us);
}

/* One line per online CPU, in index order, with the CR3 that CPU read
 * itself once it ran on the kernel's tables (cpu_init). Printed by the BSP
 * once all are up: printing is slow and serialised, so it stays out of the
 * measured bring-up, and hundreds of CPUs queueing on the console lock
 * would take minutes under emulation (1024 vCPUs on 2 host cores: about
 * two lines a second). */
static void report_online(void)
{
    for (unsigned i = 0; i < smp_cpu_count(); i++) {
        const struct cpu *c = smp_cpu(i);
        if (c)
            kprintf("pagoda: cpu index=%u apic=%u cr3=0x%lx online\n", c->index, c->apic_id,
                    (unsigned long)c->cr3);
    }
}

/* The BSP's vendor and family stand for every CPU's: one machine, one kind. */
static struct ap_start_timing choose_timing(const struct smp_options *opt)
{
    struct cpuid_regs v = cpuid(0, 0);

    if (opt->init_delay_legacy)
        return ap_start_timing_legacy();
    return ap_start_timing_for(cpu_vendor_from_cpuid0(v.ebx, v.ecx, v.edx),
                               cpu_family_from_cpuid1(cpuid(CPUID_FEATURES, 0).eax));
}

uint64_t smp_boot(const struct bootinfo *bi, const struct smp_options *opt)
{
    bool serial = opt->serial;
    struct pt t;
    uint32_t page = (uint32_t)(bi->trampoline >> PAGE_SHIFT);
    const char *why = smp_unavailable(bi);

    cpus[0] = this_cpu();
    if (why) {
        if (why == BSP_MISMATCH)
            kprintf("pagoda: cpu bsp apic=%u (local APIC) recorded=%u: the CPU list cannot tell "
                    "the BSP from the APs; starting none\n", cpus[0]->apic_id, bi->bsp_apic_id);
        report_online();
        kprintf("pagoda: smp online=1 expected=%u bringup_us=0 mode=none reason=%s\n", bi->cpu_count,
                why);
        return rdtsc();
    }
    options = opt;
    timing = choose_timing(opt);
    loader_init_tsc = (bi->boot_flags & BI_BOOT_APS_INIT) ? bi->tsc_aps_init : 0;
    mtrr_save_bsp();
    bsp_pat = rdmsr(MSR_PAT);
    cpus[0]->pat = bsp_pat;
    equip_slots();
    int rc = transitional_build(&t, bi->trampoline);
    if (rc != 0)
        panic("smp: no transitional page tables below 4 GiB (error %d)", rc);
    trampoline_install(bi, &t);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    uint64_t t0 = rdtsc();
    if (serial) {
        for (uint32_t i = 0; i < ap_slot_count; i++)
            bring_up(page, &ap_slots[i]);
    } else {
        bring_up(page, NULL);
    }
    uint64_t elapsed = rdtsc() - t0;
    /* A parked AP may not have taken its INIT yet and could still be in the
     * trampoline: its tables stay (a few frames, kept for good) so that it
     * can never run on freed ones. Every other AP is past them. */
    unsigned parked = slots_in_state(NULL, AP_STATE_PARKED);
    if (parked == 0)
        transitional_free(&t, bi->trampoline);
    report_online();   /* before the summary */
    all_online = online == bi->cpu_count;

    kprintf("pagoda: smp online=%u expected=%u bringup_us=%lu sipi_resent=%u mode=%s apic=%s init=%s "
            "init_wait_us=%u sipi_wait_us=%u waits=%s parked=%u\n", online, bi->cpu_count,
            (unsigned long)timer_ticks_to_us(elapsed), sipi_resent, serial ? "serial" : "parallel",
            apic_is_x2apic() ? "x2apic" : "xapic", !serial && loader_init_tsc ? "loader" : "kernel",
            timing.init_wait_us, timing.sipi_wait_us,
            timing.legacy ? (opt->init_delay_legacy ? "legacy-asked" : "legacy-cpu") : "modern", parked);
    return t0 + elapsed;
}

/* An AP that is not to run on and that no INIT will stop: it reports and
 * halts, touching nothing shared but the console (its stack and struct cpu
 * are its own for good). */
static __attribute__((noreturn)) void ap_halt(const struct ap_slot *slot, const char *why)
{
    kprintf("pagoda: cpu apic=%u %s; halted\n", slot->apic_id, why);
    halt_forever();
}

static void wake_bsp(void)
{
    /* A lost wake-up only delays the BSP: it looks again every slice. */
    (void)apic_send_ipi_vector(cpus[0]->apic_id, VEC_WAKEUP);
}

/* Sleep in slices until the slot leaves `state` or `timeout_us` passes;
 * true if it left. Woken early by the BSP's IPI. */
static bool ap_wait_while(const struct ap_slot *slot, uint32_t state, uint64_t timeout_us)
{
    uint64_t deadline = rdtsc() + timer_us_to_ticks(timeout_us);
    while (apslots_state(slot) == state) {
        if (rdtsc() >= deadline)
            return false;
        apic_sleep_us(AP_WAIT_SLICE_US);
    }
    return true;
}

/* First C code on an AP, on its own stack and the shared PML4. */
void ap_main(struct ap_slot *slot);
void ap_main(struct ap_slot *slot)
{
    struct cpu *c = slot->cpu;

    /* Until it says alive the AP touches only its own state (no lock, no
     * shared write): the BSP may INIT it at any instruction. */
    cpu_init_ap(c, slot->index, slot->apic_id);   /* GDT, TSS + IST, GS base */
    /* The scan chose this slot while it was READY; the BSP may have parked
     * it since (then saying alive fails below). */
    if (apslots_find(ap_slots, ap_slot_count, slot->apic_id) != slot &&
        apslots_state(slot) == AP_STATE_READY)
        panic("smp: trampoline chose slot %u for APIC ID %u; apslots_find disagrees", slot->index,
              slot->apic_id);
    trap_load_idt();
    wrmsr(MSR_PAT, bsp_pat);               /* the BSP's PAT */
    c->pat = rdmsr(MSR_PAT);
    c->mtrr = mtrr_sync_ap();                      /* and its MTRRs */
    write_cr0(read_cr0() | CR0_WP);
    write_cr4(read_cr4() | CR4_PGE);
    apic_init_this_cpu();
    if (test_hook(options->late, options->late_apic, slot))
        ap_wait_while(slot, AP_STATE_READY, release_timeout_us());   /* past the BSP's decision */
    if (!apslots_say_alive(slot)) {
        /* Parked: the BSP's INIT may land at any instruction, so take no
         * lock (this CPU could stop holding it for good). Only under
         * pagoda.smp.late, where that INIT is withheld, say so. */
        if (test_hook(options->late, options->late_apic, slot))
            ap_halt(slot, "answered after the deadline");
        halt_forever();
    }
    wake_bsp();
    if (!ap_wait_while(slot, AP_STATE_ALIVE, release_timeout_us()) && apslots_give_up(slot))
        ap_halt(slot, "was not released by the BSP in time");
    /* Released: publish, then say so. */
    smp_call_join(c);
    cpus[c->index] = c;
    __atomic_fetch_add(&online, 1, __ATOMIC_RELEASE);
    apslots_published(slot);
    wake_bsp();
    if (test_hook(options->deaf, options->deaf_apic, slot))
        halt_forever();   /* interrupts off: no call or shootdown reaches it */
    smp_idle();
}
