/* MP checks: the response against the MADT and each CPU's own LAPIC; then
 * every AP is released through goto_address and reports, from its own entry
 * stub, what it arrived with (RDI, stack, CR3, control registers, LAPIC ID).
 * APs only record; the BSP prints. */
#include "lk_entry.h"
#include "lk_kernel.h"
#include "lk_x86.h"

#define AP_WAIT_SECONDS 5
#define CPUID_FEATURES 1
#define CPUID_EDX_MTRR (1u << 12)
#define MTRRCAP_FIX (1ul << 8)
#define XAPIC_MAX_ID 0xFE


/* A CPU's MTRRs (SDM Vol. 3A 12.11): MTRRcap, MTRRdefType, the eleven
 * fixed-range registers and the variable pairs. */
#define LK_MTRR_VAR_MAX 16
static const uint32_t mtrr_fixed[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f };
#define LK_MTRR_FIXED (sizeof mtrr_fixed / sizeof mtrr_fixed[0])
struct lk_mtrrs {
    uint64_t cap, def, fixed[LK_MTRR_FIXED], var[2 * LK_MTRR_VAR_MAX];
};

static void mtrrs_read(struct lk_mtrrs *m)
{
    uint32_t r[4];
    cpuid(CPUID_FEATURES, 0, r);
    *m = (struct lk_mtrrs){ 0 };
    if (!(r[3] & CPUID_EDX_MTRR))
        return;
    m->cap = rdmsr(MSR_MTRRCAP);
    m->def = rdmsr(MSR_MTRR_DEF);
    for (unsigned i = 0; (m->cap & MTRRCAP_FIX) && i < LK_MTRR_FIXED; i++)
        m->fixed[i] = rdmsr(mtrr_fixed[i]);
    for (unsigned i = 0; i < 2 * (m->cap & 0xff) && i < 2 * LK_MTRR_VAR_MAX; i++)
        m->var[i] = rdmsr(MSR_MTRR_VAR0 + i);
}

/* NULL when equal, else the first register that differs. */
static const char *mtrrs_differ(const struct lk_mtrrs *a, const struct lk_mtrrs *b)
{
    static char why[96];
    if (a->cap != b->cap || a->def != b->def)
        return "MTRRcap/MTRRdefType differ from the BSP's";
    for (unsigned i = 0; i < LK_MTRR_FIXED; i++)
        if (a->fixed[i] != b->fixed[i]) {
            lk_snprintf(why, sizeof why, "fixed-range MTRR %x differs from the BSP's", mtrr_fixed[i]);
            return why;
        }
    for (unsigned i = 0; i < 2 * LK_MTRR_VAR_MAX; i++)
        if (a->var[i] != b->var[i]) {
            lk_snprintf(why, sizeof why, "variable MTRR %x is %lx, the BSP's %lx", MSR_MTRR_VAR0 + i, a->var[i],
                        b->var[i]);
            return why;
        }
    return NULL;
}

struct ap_record {
    uint64_t tsc;                       /* first thing at arrival: for the benchmark line */
    uint64_t rdi, rsp, rflags, cr0, cr3, cr4, efer, pat, apic_base;
    struct lk_tables_seen tables;
    struct lk_mtrrs mtrrs;
    uint32_t lapic_id;
    const char *lapic_problem;
};

static struct ap_record records[LK_MAX_CPUS];
static volatile uint64_t arrived;

void lk_ap_main(struct lk_mp_info *info, uint64_t rsp, uint64_t rflags)
{
    uint64_t i = info->extra_argument;
    if (i >= LK_MAX_CPUS)
        return;
    struct ap_record *r = &records[i];
    r->tsc = rdtsc();
    lk_tables_record(&r->tables);
    lk_fault_load();
    r->rdi = (uint64_t)info;
    r->rsp = rsp;
    r->rflags = rflags;
    r->cr0 = READ_CR(0);
    r->cr3 = READ_CR(3);
    r->cr4 = READ_CR(4);
    r->efer = rdmsr(MSR_EFER);
    r->pat = rdmsr(MSR_PAT);
    r->apic_base = rdmsr(MSR_APIC_BASE);
    mtrrs_read(&r->mtrrs);
    r->lapic_id = lk_lapic_id();
    r->lapic_problem = LK_BASE_REVISION >= 5 ? lk_lapic_state_problem() : NULL;
    __atomic_add_fetch(&arrived, 1, __ATOMIC_RELEASE);
}

#define CPUID_ECX_X2APIC (1u << 21)

static int cpu_has_x2apic(void)
{
    uint32_t r[4];
    cpuid(CPUID_FEATURES, 0, r);
    return (r[2] & CPUID_ECX_X2APIC) != 0;
}

/* The MADT's enabled CPUs a loader can list in this APIC mode: in xAPIC
 * mode an APIC ID above 0xFE does not fit the 8-bit ID (0xFF is the
 * broadcast address), so such CPUs cannot be started or addressed. */
static int madt_cpus_in_mode(const struct lk_acpi *a, int x2)
{
    int n = 0;
    for (int i = 0; i < a->cpu_count; i++)
        n += x2 || a->cpus[i].apic_id <= XAPIC_MAX_ID;
    return n;
}

static int madt_has(const struct lk_acpi *a, uint32_t uid, uint32_t apic)
{
    for (int i = 0; i < a->cpu_count; i++)
        if (a->cpus[i].uid == uid && a->cpus[i].apic_id == apic)
            return 1;
    return 0;
}

void lk_check_mp(void)
{
    CHECK("mp");
    const struct lk_mp_resp *r = lk_req_mp.response;
    NEED(r);
    EXPECT(r->cpu_count >= 1 && r->cpu_count <= LK_MAX_CPUS, "cpu_count %lu", r->cpu_count);
    EXPECT(lk_is_hhdm_ptr(r->cpus), "cpus %p not in the HHDM", (void *)r->cpus);
    EXPECT(lk_window_init() == 0, "no private window for the LAPIC");
    int x2 = (rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD) != 0;
    EXPECT(!!(r->flags & LK_MP_RESP_X2APIC) == x2, "flags %x but IA32_APIC_BASE.EXTD=%d", r->flags, x2);
    /* Asked for: on whenever the CPU has it. Not asked for: off (the spec's
     * loader turns firmware-enabled x2APIC off, or refuses to boot). */
    int asked = (lk_req_mp.flags & LK_MP_REQ_X2APIC) != 0;
    EXPECT(x2 == (asked && cpu_has_x2apic()), "x2APIC %s, asked %d, CPU has it %d", x2 ? "on" : "off", asked,
           cpu_has_x2apic());
    EXPECT(r->bsp_lapic_id == lk_lapic_id(), "bsp_lapic_id %u, this CPU's LAPIC says %u", r->bsp_lapic_id, lk_lapic_id());
    const struct lk_acpi *a = lk_acpi();
    int bsp_seen = 0;
    for (uint64_t i = 0; i < r->cpu_count; i++) {
        const struct lk_mp_info *c = r->cpus[i];
        EXPECT(lk_is_hhdm_ptr(c), "cpus[%lu] %p not in the HHDM", i, (const void *)c);
        EXPECT(c->goto_address == NULL, "cpus[%lu].goto_address %p at entry (must be NULL)", i, (void *)c->goto_address);
        bsp_seen += c->lapic_id == r->bsp_lapic_id;
        for (uint64_t j = 0; j < i; j++)
            EXPECT(r->cpus[j]->lapic_id != c->lapic_id, "APIC ID %u listed twice", c->lapic_id);
        if (a->valid)
            EXPECT(madt_has(a, c->processor_id, c->lapic_id), "cpus[%lu] uid %u apic %u not an enabled MADT entry", i,
                   c->processor_id, c->lapic_id);
    }
    EXPECT(bsp_seen == 1, "the BSP is listed %d times", bsp_seen);
    if (a->valid)
        EXPECT((int)r->cpu_count == madt_cpus_in_mode(a, x2), "%lu CPUs, the MADT enables %d (%d in %s mode)",
               r->cpu_count, a->cpu_count, madt_cpus_in_mode(a, x2), x2 ? "x2APIC" : "xAPIC");
    const struct lk_exec_cmdline_resp *cl = lk_req_cmdline.response;
    uint64_t want;
    if (cl && lk_cmdline_u64(cl->cmdline, "lk.cpus", &want))
        EXPECT(r->cpu_count == want, "%lu CPUs, QEMU was given %lu", r->cpu_count, want);
    PASS("cpus=%lu bsp=%u x2apic=%d madt=%s madt_cpus=%d", r->cpu_count, r->bsp_lapic_id, x2,
         a->valid ? "agrees" : "unread", a->cpu_count);
}

static const char *ap_problem(const struct lk_mp_resp *r, uint64_t i, const struct ap_record *rec,
                              const struct lk_mtrrs *bsp_mtrrs)
{
    static char why[128];
    const char *mtrr_why;
    const struct lk_mp_info *c = r->cpus[i];
    uint64_t want_rflags_clear = RFLAGS_IF | RFLAGS_DF | RFLAGS_VM;
    if (rec->rdi != (uint64_t)c)
        return "rdi is not its own info struct";
    if (rec->cr3 != READ_CR(3))
        return "cr3 differs from the BSP's";
    if (rec->cr0 != READ_CR(0) || rec->cr4 != READ_CR(4) || rec->efer != rdmsr(MSR_EFER))
        return "cr0/cr4/efer differ from the BSP's";
    if (rec->pat != rdmsr(MSR_PAT))
        return "PAT differs from the BSP's";
    if ((mtrr_why = mtrrs_differ(&rec->mtrrs, bsp_mtrrs)))
        return mtrr_why;
    if ((rec->rflags & want_rflags_clear) || (LK_BASE_REVISION >= 5 && rec->rflags != RFLAGS_FIXED))
        return "rflags";
    if (!!(rec->apic_base & APIC_BASE_EXTD) != !!(r->flags & LK_MP_RESP_X2APIC))
        return "IA32_APIC_BASE.EXTD disagrees with the response's x2APIC flag";
    if (!(rec->apic_base & APIC_BASE_EN))
        return "IA32_APIC_BASE.EN clear";
    if (rec->lapic_id != c->lapic_id) {
        lk_snprintf(why, sizeof why, "its LAPIC says %u, the response %u", rec->lapic_id, c->lapic_id);
        return why;
    }
    if (LK_BASE_REVISION >= 5 && (rec->tables.idtr.base || rec->tables.idtr.limit || rec->tables.ldtr))
        return "revision 5+: IDTR/LDTR not null";
    if (LK_BASE_REVISION >= 5 && lk_tr_problem(&rec->tables))
        return lk_tr_problem(&rec->tables);
    if (rec->tables.gdtr.limit + 1u < 7u * 8u)
        return "its GDT holds fewer than the 7 protocol descriptors";
    if (rec->lapic_problem)
        return rec->lapic_problem;
    struct lk_walk w;
    /* The page holding the first byte a push would write, and the ones below
     * it down to the requested size (the loader may or may not have pushed a
     * return address before the jump). */
    uint64_t top_page = (rec->rsp - 1) & ~PAGE_MASK;
    for (uint64_t va = top_page - LK_STACK_SIZE + PAGE_SIZE; va <= top_page; va += PAGE_SIZE) {
        if (lk_walk(va, &w) || !(w.pte & PTE_W))
            return "stack smaller than the requested size";
        if (lk_req_memmap.response && !lk_memmap_covers(w.pa & ~PAGE_MASK, PAGE_SIZE, TYPE_BIT(LK_MEM_RECLAIMABLE)))
            return "stack not in bootloader-reclaimable memory";
    }
    for (uint64_t j = 0; j < LK_MAX_CPUS; j++)
        if (&records[j] != rec && records[j].rsp && (records[j].rsp >> 12) == (rec->rsp >> 12))
            return "shares its stack with another CPU";
    if ((rec->rsp >> 12) == (lk_entry_state[ES_RSP] >> 12))
        return "runs on the BSP's stack";
    return NULL;
}

void lk_check_mp_ap(void)
{
    CHECK("mp_ap");
    const struct lk_mp_resp *r = lk_req_mp.response;
    NEED(r);
    EXPECT(r->cpu_count >= 1 && r->cpu_count <= LK_MAX_CPUS, "cpu_count %lu", r->cpu_count);
    EXPECT(lk_window_init() == 0, "no private window for the LAPIC");
    uint64_t aps = 0, released = rdtsc(), last = released;
    for (uint64_t i = 0; i < r->cpu_count; i++) {
        struct lk_mp_info *c = r->cpus[i];
        if (c->lapic_id == r->bsp_lapic_id)
            continue;
        c->extra_argument = i;
        __atomic_store_n(&c->goto_address, lk_ap_entry, __ATOMIC_RELEASE);
        aps++;
    }
    struct lk_mtrrs bsp_mtrrs;
    mtrrs_read(&bsp_mtrrs);
    int all = lk_wait_rtc_seconds(&arrived, aps, AP_WAIT_SECONDS);
    EXPECT(all, "%lu of %lu APs arrived within %d s", arrived, aps, AP_WAIT_SECONDS);
    for (uint64_t i = 0; i < r->cpu_count; i++) {
        if (r->cpus[i]->lapic_id == r->bsp_lapic_id)
            continue;
        const char *why = ap_problem(r, i, &records[i], &bsp_mtrrs);
        EXPECT(!why, "AP %lu (APIC %u): %s", i, r->cpus[i]->lapic_id, why);
        if (records[i].tsc > last)
            last = records[i].tsc;
    }
    /* Absolute stamps too: make bench places them on the loader's time line
     * (its ebs_tsc); the TSC is one clock for every CPU here. */
    PASS("aps=%lu arrived with rdi=own info, own stack, BSP's cr3, own LAPIC ID, BSP's MTRRs (%lu variable); "
         "release_to_all_running_tsc=%lu release_tsc=%lu all_running_tsc=%lu", aps, bsp_mtrrs.cap & 0xff,
         last - released, released, last);
}
