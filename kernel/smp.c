/* Bringing the application processors up onto the kernel's one PML4, all at
 * once: every AP gets INIT together, then its SIPIs together, and finds its
 * own slot (stack, struct cpu) by APIC ID in the trampoline, so bring-up time
 * stays nearly flat as the CPU count grows. `pagoda.smp=serial` starts them
 * one at a time with the full delays each, as a baseline.
 *
 * Sequence per the SDM (Vol. 3A 8.4.4.1): INIT (level assert), 10 ms, SIPI,
 * 200 us, second SIPI to the CPUs that have not checked in. Delays come from
 * the TSC, calibrated against the PIT (timer.c). */
#include <string.h>

#include "apslots.h"
#include "kernel.h"
#include "lapic.h"
#include "x86/cpu.h"
#include "x86/pte.h"
#include "x86/trampoline.h"

#define INIT_DELAY_US      10000
#define SIPI_DELAY_US      200
#define AP_TIMEOUT_US      1000000    /* per wave (parallel) or per CPU (serial) */
#define FOUR_GIB           (4 * GiB)
#define CPU_STRUCT_BYTES   64 * KiB   /* power of two >= sizeof(struct cpu) */
_Static_assert(sizeof(struct cpu) <= CPU_STRUCT_BYTES, "struct cpu outgrew its allocation");

extern char trampoline_start[], trampoline_end[], trampoline_gdt[], trampoline_pm32[],
    trampoline_lm64[], ap_entry64[];

/* Read by the trampoline (ap_entry64): the table it scans for its APIC ID. */
struct ap_slot ap_slots[BOOTINFO_MAX_CPUS];
uint32_t ap_slot_count;

static struct cpu *cpus[BOOTINFO_MAX_CPUS];   /* by index; NULL until online */
static unsigned cpu_count = 1;                /* indices handed out, BSP = 0 */
static volatile unsigned online = 1;
static uint64_t bsp_pat;                      /* the PAT every AP copies */

/* Cross-CPU calls: a generation counter; idle CPUs run the new function
 * when they see a newer generation, then count themselves done. */
static struct {
    smp_fn fn;
    void *arg;
    volatile uint64_t generation;
    volatile uint32_t done;
} work;

unsigned smp_online_count(void) { return online; }
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
    falloc_free(&kmem.fa, pa, PAGE_SIZE, PMEM_KERNEL_PAGETABLES);
}

static void *hhdm(void *ctx, paddr_t pa)
{
    (void)ctx;
    return phys_to_virt(pa);
}

/* Transitional tables for the 32-bit CR3 load: a root below 4 GiB whose
 * upper half is the kernel's (same entries, same lower tables) and whose
 * lower half identity-maps the trampoline page. Freed after bring-up. */
static int transitional_build(struct pt *t, paddr_t tramp)
{
    const struct pt_env env = { .alloc_frame = low_frame_alloc, .free_frame = low_frame_free,
                                .phys_to_ptr = hhdm, .ctx = NULL };
    int rc = pt_init(t, &env, 4, kmem.pt.caps);
    if (rc)
        return rc;
    uint64_t *root = phys_to_virt(t->root);
    const uint64_t *kroot = phys_to_virt(kmem.pt.root);
    memcpy(&root[PT_ROOT_KERNEL_FIRST], &kroot[PT_ROOT_KERNEL_FIRST],
           (PT_ENTRIES - PT_ROOT_KERNEL_FIRST) * sizeof(uint64_t));
    return pt_map(t, tramp, tramp, PAGE_SIZE, PT_MAP_EXEC);
}

static void transitional_free(struct pt *t, paddr_t tramp)
{
    /* Only the lower half is ours: unmapping the page frees its tables. */
    pt_unmap(t, tramp, PAGE_SIZE);
    low_frame_free(NULL, t->root);
}

static void trampoline_install(const struct bootinfo *bi, const struct pt *t)
{
    uint8_t *page = phys_to_virt(bi->trampoline);
    uint32_t base = (uint32_t)bi->trampoline;
    struct tramp_params *p = (struct tramp_params *)(page + TRAMP_PARAMS);

    _Static_assert(TRAMP_PARAMS_END <= PAGE_SIZE, "params past the page");
    if ((uint64_t)(trampoline_end - trampoline_start) > TRAMP_PARAMS)
        panic("smp: trampoline code overlaps its parameter block");
    memcpy(page, trampoline_start, (size_t)(trampoline_end - trampoline_start));
    *p = (struct tramp_params){
        .gdt_limit = 4 * sizeof(uint64_t) - 1,
        .gdt_base = base + (uint32_t)(trampoline_gdt - trampoline_start),
        .far32_offset = base + (uint32_t)(trampoline_pm32 - trampoline_start),
        .far32_selector = TRAMP_SEL_CODE32,
        .far64_offset = base + (uint32_t)(trampoline_lm64 - trampoline_start),
        .far64_selector = TRAMP_SEL_CODE64,
        .cr3_32 = (uint32_t)t->root,
        .efer_set = (uint32_t)(EFER_LME | ((bi->cpu_features & BI_CPU_NX) ? EFER_NXE : 0)),
        .entry64 = (uint64_t)ap_entry64,
        .cr3_final = kmem.pt.root,
        .cr4 = (uint32_t)CR4_PAE,
    };
}

/* Which APs to start (apslots.c decides); skipped ones are reported once. */
static void select_slots(const struct bootinfo *bi)
{
    static enum ap_skip_reason reasons[BOOTINFO_MAX_CPUS];

    ap_slot_count = apslots_build(bi->cpus, bi->cpu_count, apic_is_x2apic(), 1, ap_slots,
                                  BOOTINFO_MAX_CPUS, reasons);
    for (uint32_t i = 0; i < bi->cpu_count; i++)
        if (reasons[i] != AP_START && reasons[i] != AP_SKIP_BSP)
            kprintf("pagoda: cpu apic=%u skipped reason=%s\n", bi->cpus[i].apic_id,
                    apslots_reason_name(reasons[i]));
}

/* Each slot gets a stack behind a guard page and a struct cpu. */
static int equip_slots(void)
{
    paddr_t pa;

    for (uint32_t i = 0; i < ap_slot_count; i++) {
        struct ap_slot *s = &ap_slots[i];
        if (kmem_alloc_stack(KERNEL_STACK_SIZE, &s->stack_top, &pa) != 0 ||
            kmem_alloc_frame(CPU_STRUCT_BYTES, PMEM_KERNEL_DATA, &pa) != 0)
            return -E_NOMEM;
        s->cpu = phys_to_virt(pa);
        s->state = AP_STATE_READY;
    }
    cpu_count = 1 + ap_slot_count;
    return 0;
}

/* Firmware leaves its APs in a loop after ExitBootServices (OVMF: in
 * reserved memory, HLT or a spin). INIT puts them in wait-for-SIPI at once,
 * so none spins, wakes or uses power (or, in a VM, host time) while the
 * kernel starts up; smp_boot later runs the full INIT-SIPI-SIPI anyway. */
void smp_quiesce_firmware_aps(const struct bootinfo *bi)
{
    if (!bi->trampoline || bi->cpu_count <= 1)
        return;
    select_slots(bi);
    for (uint32_t i = 0; i < ap_slot_count; i++)
        lapic_send_init(apic_io(), ap_slots[i].apic_id);
}

static unsigned slots_online(void)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < ap_slot_count; i++)
        n += __atomic_load_n(&ap_slots[i].state, __ATOMIC_ACQUIRE) == AP_STATE_ONLINE;
    return n;
}

static void send_or_report(int rc, const struct ap_slot *s, const char *what)
{
    if (rc)
        kprintf("pagoda: cpu apic=%u %s IPI failed (%d), esr=0x%x\n", s->apic_id, what, rc,
                lapic_read_esr(apic_io()));
}

static const struct smp_options *options;

static void sipi_pending(uint32_t page, const struct ap_slot *only)
{
    for (uint32_t i = 0; i < ap_slot_count; i++) {
        const struct ap_slot *s = &ap_slots[i];
        if ((only && s != only) || s->state == AP_STATE_ONLINE)
            continue;
        if (options->withhold && s->apic_id == options->withhold_apic)
            continue;
        send_or_report(lapic_send_startup(apic_io(), s->apic_id, page), s, "STARTUP");
    }
}

/* The BSP sleeps between looks rather than spinning: on a real machine it
 * makes no difference, under emulation it leaves the host's cores to the
 * APs being started. Each AP wakes it when it comes online, so the slice
 * only bounds how late a timeout is noticed. */
#define WAIT_SLICE_US 1000

static void wait_online(unsigned want, uint64_t timeout_us)
{
    uint64_t deadline = rdtsc() + timer_us_to_ticks(timeout_us);
    while (slots_online() < want && rdtsc() < deadline)
        apic_sleep_us(WAIT_SLICE_US);
}

/* One wave, or one CPU when `only` is set: INIT, wait, SIPI, wait, SIPI. */
static void start_wave(uint32_t page, const struct ap_slot *only)
{
    for (uint32_t i = 0; i < ap_slot_count; i++)
        if (!only || &ap_slots[i] == only)
            send_or_report(lapic_send_init(apic_io(), ap_slots[i].apic_id), &ap_slots[i], "INIT");
    timer_delay_us(INIT_DELAY_US);   /* exact; the APs sit in INIT, nothing to yield to */
    sipi_pending(page, only);
    timer_delay_us(SIPI_DELAY_US);
    sipi_pending(page, only);
}

/* CPUs that never answered are put back into wait-for-SIPI with INIT, so
 * none can wake up later on the freed transitional tables. */
static void park_laggards(void)
{
    for (uint32_t i = 0; i < ap_slot_count; i++) {
        struct ap_slot *s = &ap_slots[i];
        if (s->state == AP_STATE_ONLINE)
            continue;
        s->state = AP_STATE_EMPTY;
        lapic_send_init(apic_io(), s->apic_id);
        kprintf("pagoda: cpu apic=%u did not answer; carrying on without it\n", s->apic_id);
    }
}

/* Printed by each CPU itself, once all are up: printing is slow (serial,
 * screen) and serialised, so it stays out of the measured bring-up. */
static void report_online(void *arg)
{
    const struct cpu *c = this_cpu();
    (void)arg;
    kprintf("pagoda: cpu index=%u apic=%u cr3=0x%lx online\n", c->index, c->apic_id,
            (unsigned long)c->cr3);
}

void smp_boot(const struct bootinfo *bi, const struct smp_options *opt)
{
    bool serial = opt->serial;
    struct pt t;
    uint32_t page = (uint32_t)(bi->trampoline >> PAGE_SHIFT);

    cpus[0] = this_cpu();
    if (!bi->trampoline || bi->cpu_count <= 1) {
        report_online(NULL);
        kprintf("pagoda: smp online=1 expected=%u bringup_us=0 mode=none reason=%s\n", bi->cpu_count,
                bi->trampoline ? "single-cpu" : "no-trampoline-page");
        return;
    }
    options = opt;
    mtrr_save_bsp();
    bsp_pat = rdmsr(MSR_PAT);
    cpus[0]->pat = bsp_pat;
    if (equip_slots() != 0 || transitional_build(&t, bi->trampoline) != 0)
        panic("smp: out of memory preparing %u APs", ap_slot_count);
    trampoline_install(bi, &t);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    uint64_t t0 = rdtsc();
    if (serial) {
        for (uint32_t i = 0; i < ap_slot_count; i++) {
            unsigned before = slots_online();
            start_wave(page, &ap_slots[i]);
            wait_online(before + 1, AP_TIMEOUT_US);
        }
    } else {
        start_wave(page, NULL);
        wait_online(ap_slot_count, AP_TIMEOUT_US);
    }
    uint64_t elapsed = rdtsc() - t0;
    park_laggards();
    transitional_free(&t, bi->trampoline);
    smp_call_all(report_online, NULL);   /* each CPU's own line, before the summary */

    kprintf("pagoda: smp online=%u expected=%u bringup_us=%lu mode=%s apic=%s\n", online,
            bi->cpu_count, (unsigned long)timer_ticks_to_us(elapsed), serial ? "serial" : "parallel",
            apic_is_x2apic() ? "x2apic" : "xapic");
}

/* Run pending cross-CPU work; called by idle CPUs after every wake-up. */
void smp_handle_wakeup(void)
{
    struct cpu *c = this_cpu();
    uint64_t gen = __atomic_load_n(&work.generation, __ATOMIC_ACQUIRE);

    if (gen == c->work_seen)
        return;
    c->work_seen = gen;
    work.fn(work.arg);
    __atomic_fetch_add(&work.done, 1, __ATOMIC_RELEASE);
}

void smp_call_all(smp_fn fn, void *arg)
{
    struct cpu *me = this_cpu();
    unsigned others = online - 1;

    work.fn = fn;
    work.arg = arg;
    __atomic_store_n(&work.done, 0, __ATOMIC_RELEASE);
    __atomic_fetch_add(&work.generation, 1, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < cpu_count; i++)
        if (cpus[i] && cpus[i] != me)
            apic_send_ipi_vector(cpus[i]->apic_id, VEC_WAKEUP);
    me->work_seen = work.generation;
    fn(arg);
    while (__atomic_load_n(&work.done, __ATOMIC_ACQUIRE) < others)
        cpu_pause();
}

/* An AP's idle loop: sleep until an IPI, then look for work. STI takes
 * effect after the next instruction, so no wake-up is lost between the
 * check and the HLT. */
static __attribute__((noreturn)) void ap_idle(void)
{
    for (;;) {
        __asm__ volatile("cli");
        if (__atomic_load_n(&work.generation, __ATOMIC_ACQUIRE) != this_cpu()->work_seen) {
            __asm__ volatile("sti");
            smp_handle_wakeup();
            continue;
        }
        __asm__ volatile("sti; hlt");
    }
}

/* First C code on an AP, on its own stack and the shared PML4. */
void ap_main(struct ap_slot *slot);
void ap_main(struct ap_slot *slot)
{
    struct cpu *c = slot->cpu;

    cpu_init_ap(c, slot->index, slot->apic_id);   /* GDT, TSS + IST, GS base */
    if (apslots_find(ap_slots, ap_slot_count, slot->apic_id) != slot)
        panic("smp: trampoline chose slot %u for APIC ID %u; apslots_find disagrees", slot->index,
              slot->apic_id);
    trap_load_idt();
    wrmsr(MSR_PAT, bsp_pat);               /* the BSP's PAT */
    c->pat = rdmsr(MSR_PAT);
    c->mtrr = mtrr_sync_ap();                      /* and its MTRRs */
    write_cr0(read_cr0() | CR0_WP);
    write_cr4(read_cr4() | CR4_PGE);
    apic_init_this_cpu();
    c->work_seen = work.generation;
    cpus[c->index] = c;
    __atomic_fetch_add(&online, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&slot->state, AP_STATE_ONLINE, __ATOMIC_RELEASE);
    apic_send_ipi_vector(cpus[0]->apic_id, VEC_WAKEUP);   /* the BSP may be asleep waiting */
    ap_idle();
}
