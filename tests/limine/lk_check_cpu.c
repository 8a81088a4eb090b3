/* Entry-state checks (PROTOCOL.md "Machine State at Entry", x86-64): the
 * registers the entry stub recorded, control registers, segments and GDT,
 * descriptor tables (revision 5+), PAT, legacy PIC, I/O APIC and local APIC,
 * and the paging mode. */
#include "lk_entry.h"
#include "lk_kernel.h"
#include "lk_x86.h"

#define CPUID_EXT_FEATURES 0x80000001u
#define CPUID_EXT_NX (1u << 20)
#define GDT_ENTRIES_REQUIRED 7
#define DESC_ACCESS_SHIFT 40
#define DESC_P (1UL << 47)
#define DESC_S (1UL << 44)
#define DESC_EXEC (1UL << 43)
#define DESC_RW (1UL << 41)          /* readable (code) / writable (data) */
#define DESC_L (1UL << 53)
#define DESC_DB (1UL << 54)
#define DESC_G (1UL << 55)
#define IOAPIC_REGSEL 0x00
#define IOAPIC_WIN 0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDIR0 0x10
#define REDIR_MASKED (1u << 16)
#define DELIVERY(v) (((v) >> 8) & 7u)
#define DELIVERY_FIXED 0
#define DELIVERY_LOWEST 1
#define DELIVERY_NMI 4
#define DELIVERY_EXTINT 7
#define LAPIC_TPR 0x80
#define LAPIC_SVR 0xf0
#define LAPIC_VERSION 0x30
#define LAPIC_SVR_EXPECTED 0x1ff
#define PIC_ALL_MASKED 0xff


static int has_nx(void)
{
    uint32_t r[4];
    cpuid(CPUID_EXT_FEATURES, 0, r);
    return (r[3] & CPUID_EXT_NX) != 0;
}

static const char *const gpr_names[ES_GPRS] = {
    "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

void lk_check_entry_regs(void)
{
    CHECK("entry_regs");
    for (int i = 0; i < ES_GPRS; i++)
        EXPECT(lk_entry_state[i] == 0, "%s=%lx at entry (all GPRs but rsp must be 0)", gpr_names[i], lk_entry_state[i]);
    EXPECT(lk_entry_state[ES_RET] == 0, "return address %lx on the entry stack (must be 0)", lk_entry_state[ES_RET]);
    EXPECT(lk_entry_state[ES_RSP] % 16 == 8, "rsp=%lx: not a 16-byte-aligned top minus the pushed 0", lk_entry_state[ES_RSP]);
    PASS("gprs=0 ret=0 rsp=%lx", lk_entry_state[ES_RSP]);
}

void lk_check_entry_flags(void)
{
    CHECK("entry_flags");
    uint64_t f = lk_entry_state[ES_RFLAGS];
    EXPECT(!(f & (RFLAGS_IF | RFLAGS_DF | RFLAGS_VM)), "rflags=%lx: IF/DF/VM set", f);
    if (LK_BASE_REVISION >= 5)
        EXPECT(f == RFLAGS_FIXED, "rflags=%lx, revision 5+ wants exactly 2", f);
    PASS("rflags=%lx", f);
}

void lk_check_entry_cr(void)
{
    CHECK("entry_cr");
    uint64_t cr0 = READ_CR(0), cr4 = READ_CR(4), efer = rdmsr(MSR_EFER);
    uint64_t cr0_need = CR0_PE | CR0_ET | CR0_WP | CR0_PG;
    uint64_t efer_need = EFER_LME | EFER_LMA | (has_nx() ? EFER_NXE : 0);
    uint64_t la57 = lk_expected_paging_mode() == LK_PAGING_5LVL ? CR4_LA57 : 0;
    EXPECT((cr0 & cr0_need) == cr0_need, "cr0=%lx lacks PE/ET/WP/PG", cr0);
    EXPECT(cr4 & CR4_PAE, "cr4=%lx lacks PAE", cr4);
    EXPECT((efer & efer_need) == efer_need, "efer=%lx lacks LME/LMA/NXE", efer);
    EXPECT((cr4 & CR4_LA57) == la57, "cr4=%lx: LA57 %s, the kernel asked for %d-level", cr4,
           (cr4 & CR4_LA57) ? "on" : "off", la57 ? 5 : 4);
    if (LK_BASE_REVISION >= 5) {
        EXPECT(cr0 == cr0_need, "cr0=%lx: revision 5+ clears every other bit (want %lx)", cr0, cr0_need);
        EXPECT(cr4 == (CR4_PAE | la57), "cr4=%lx: revision 5+ clears every other bit (want %lx)", cr4, CR4_PAE | la57);
        EXPECT(efer == efer_need, "efer=%lx: revision 5+ clears every other bit (want %lx)", efer, efer_need);
    }
    PASS("cr0=%lx cr4=%lx efer=%lx", cr0, cr4, efer);
}

static int desc_ok(uint64_t d, uint64_t type_bits, uint64_t size_bits, uint32_t limit)
{
    uint64_t base = ((d >> 16) & 0xffffff) | (((d >> 56) & 0xff) << 24);
    uint32_t lim = (uint32_t)((d & 0xffff) | (((d >> 48) & 0xf) << 16));
    if (d & DESC_G)
        lim = (lim << 12) | 0xfff;
    uint64_t must = DESC_P | DESC_S | type_bits;
    if ((d & must) != must || (d & (DESC_L | DESC_DB)) != size_bits || base != 0)
        return 0;
    return size_bits == DESC_L || lim == limit;   /* limits do not matter in 64-bit mode */
}

void lk_check_entry_segs(void)
{
    CHECK("entry_segs");
    static const struct { uint64_t type, size; uint32_t limit; const char *what; } want[GDT_ENTRIES_REQUIRED - 1] = {
        { DESC_EXEC | DESC_RW, 0, 0xffff, "16-bit code" },
        { DESC_RW, 0, 0xffff, "16-bit data" },
        { DESC_EXEC | DESC_RW, DESC_DB, 0xffffffffu, "32-bit code" },
        { DESC_RW, DESC_DB, 0xffffffffu, "32-bit data" },
        { DESC_EXEC | DESC_RW, DESC_L, 0, "64-bit code" },
        { DESC_RW, 0, 0, "64-bit data" },
    };
    struct lk_dtr gdtr = lk_entry_tables_seen.gdtr;
    EXPECT(lk_entry_state[ES_CS] == LK_SEL_CODE64, "cs=%lx (want 0x28)", lk_entry_state[ES_CS]);
    for (int s = ES_DS; s <= ES_GS; s++)
        EXPECT(lk_entry_state[s] == LK_SEL_DATA64, "data selector %d = %lx (want 0x30 in ds/es/ss/fs/gs)", s - ES_DS,
               lk_entry_state[s]);
    EXPECT(lk_entry_tables_seen.fs_base == 0 && lk_entry_tables_seen.gs_base == 0, "fs/gs base %lx/%lx (want 0)",
           lk_entry_tables_seen.fs_base, lk_entry_tables_seen.gs_base);
    EXPECT(gdtr.limit + 1u >= GDT_ENTRIES_REQUIRED * 8u, "gdt limit %x: fewer than 7 descriptors", gdtr.limit);
    const uint64_t *gdt = (const uint64_t *)gdtr.base;
    for (int i = 1; i < GDT_ENTRIES_REQUIRED; i++)
        EXPECT(desc_ok(gdt[i], want[i - 1].type, want[i - 1].size, want[i - 1].limit), "gdt[%x]=%lx is not a %s descriptor",
               i * 8, gdt[i], want[i - 1].what);
    struct lk_walk w;
    if (lk_req_memmap.response && lk_walk(gdtr.base, &w) == 0)
        EXPECT(lk_memmap_covers(w.pa, gdtr.limit + 1u, TYPE_BIT(LK_MEM_RECLAIMABLE)),
               "gdt at phys %lx is not in bootloader-reclaimable memory", w.pa);
    PASS("cs=28 ds..gs=30 gdt=%lx limit=%x", gdtr.base, gdtr.limit);
}

#define DESC_TYPE(d)    (((d) >> 40) & 0xf)
#define DESC_SYSTEM(d)  (!(((d) >> 44) & 1))
#define DESC_PRESENT(d) (((d) >> 47) & 1)
#define TSS64_AVAIL 0x9
#define TSS64_BUSY  0xb

/* Revision 5+: "The task register is loaded with base 0 and limit 0." A
 * null selector is not that (LTR refuses one, and after INIT the hidden
 * limit is 0xFFFF), so TR must select a present 64-bit TSS descriptor of
 * base 0 and limit 0 in the GDT this CPU had at entry. NULL when it does. */
const char *lk_tr_problem(const struct lk_tables_seen *t)
{
    static char why[96];
    if (!t->tr)
        return "TR is the null selector (want a TSS of base 0 limit 0 loaded)";
    if ((t->tr & 7) || t->tr + 16u > t->gdtr.limit + 1u)
        return "TR selects no GDT entry";
    const uint64_t *d = (const uint64_t *)(t->gdtr.base + t->tr);
    uint64_t base = ((d[0] >> 16) & 0xffffff) | (((d[0] >> 56) & 0xff) << 24) | (d[1] << 32);
    uint64_t limit = (d[0] & 0xffff) | (((d[0] >> 48) & 0xf) << 16);
    if (!DESC_SYSTEM(d[0]) || !DESC_PRESENT(d[0]) ||
        (DESC_TYPE(d[0]) != TSS64_AVAIL && DESC_TYPE(d[0]) != TSS64_BUSY))
        return "TR's descriptor is not a present 64-bit TSS";
    if (base || limit) {
        lk_snprintf(why, sizeof why, "TR %x: TSS base %lx limit %lx (want 0/0)", t->tr, base, limit);
        return why;
    }
    return NULL;
}

void lk_check_entry_tables(void)
{
    CHECK("entry_tables");
    const struct lk_tables_seen *t = &lk_entry_tables_seen;   /* recorded before lk_fault_install */
    EXPECT(t->idtr.base == 0 && t->idtr.limit == 0, "idtr=%lx/%x (revision 5+: base 0 limit 0)", t->idtr.base,
           t->idtr.limit);
    EXPECT(t->ldtr == 0, "ldtr=%x (revision 5+: null selector)", t->ldtr);
    const char *why = lk_tr_problem(t);
    EXPECT(!why, "%s", why);
    PASS("idtr=0/0 ldtr=0 tr=%x (tss base 0 limit 0)", t->tr);
}

void lk_check_pat(void)
{
    CHECK("pat");
    static const uint8_t want[6] = { PAT_WB, PAT_WT, PAT_UCM, PAT_UC, PAT_WP, PAT_WC };
    uint64_t pat = rdmsr(MSR_PAT);
    for (int i = 0; i < 6; i++)
        EXPECT(((pat >> (8 * i)) & 7) == want[i], "pat=%lx: PAT%d=%lx, want %x", pat, i, (pat >> (8 * i)) & 7, want[i]);
    PASS("pat=%lx", pat);
}

void lk_check_pic(void)
{
    CHECK("pic");
    uint8_t m1 = inb(PIC1_DATA), m2 = inb(PIC2_DATA);
    EXPECT(m1 == PIC_ALL_MASKED && m2 == PIC_ALL_MASKED, "pic masks %x/%x (want ff/ff)", m1, m2);
    PASS("masks=ff/ff");
}

static int must_mask(uint32_t lo)
{
    uint32_t mode = DELIVERY(lo);
    if (mode == DELIVERY_FIXED || mode == DELIVERY_LOWEST)
        return 1;
    return LK_BASE_REVISION >= 5 && (mode == DELIVERY_NMI || mode == DELIVERY_EXTINT);
}

void lk_check_ioapic(void)
{
    CHECK("ioapic");
    NEED(lk_req_rsdp.response);
    const struct lk_acpi *a = lk_acpi();
    EXPECT(a->valid, "no MADT behind the RSDP");
    EXPECT(a->ioapic_count > 0, "MADT lists no I/O APIC");
    unsigned checked = 0;
    for (int i = 0; i < a->ioapic_count; i++) {
        volatile uint32_t *io = lk_window(LK_SLOT_IOAPIC, a->ioapics[i].address, 1);
        EXPECT(io, "no window for the I/O APIC at %x", a->ioapics[i].address);
        io[IOAPIC_REGSEL / 4] = IOAPIC_VER;
        unsigned entries = ((io[IOAPIC_WIN / 4] >> 16) & 0xff) + 1;
        for (unsigned e = 0; e < entries; e++, checked++) {
            io[IOAPIC_REGSEL / 4] = IOAPIC_REDIR0 + 2 * e;
            uint32_t lo = io[IOAPIC_WIN / 4];
            EXPECT(!must_mask(lo) || (lo & REDIR_MASKED), "I/O APIC %x pin %u = %x: delivery mode %u not masked",
                   a->ioapics[i].address, e, lo, DELIVERY(lo));
        }
    }
    PASS("ioapics=%d pins=%u masked as specified", a->ioapic_count, checked);
}

/* Revision 5+: this CPU's local APIC in the specified state. Returns NULL
 * or what is wrong (static text). Also used by the APs. */
const char *lk_lapic_state_problem(void)
{
    static const uint32_t lvt[] = { 0x320, 0x350, 0x360, 0x370, 0x340, 0x330, 0x2f0 };  /* timer LINT0 LINT1 error perf thermal CMCI */
    static const char *const lvt_name[] = { "timer", "lint0", "lint1", "error", "perf", "thermal", "cmci" };
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if (!(base & APIC_BASE_EN))
        return "IA32_APIC_BASE.EN clear";
    if ((lk_lapic_read(LAPIC_SVR) & 0x3ff) != LAPIC_SVR_EXPECTED)
        return "SVR is not 0x1ff";
    if (lk_lapic_read(LAPIC_TPR) != 0)
        return "TPR is not 0";
    unsigned max_lvt = (lk_lapic_read(LAPIC_VERSION) >> 16) & 0xff;
    for (unsigned i = 0; i < sizeof lvt / sizeof lvt[0]; i++) {
        if (i >= 4 && max_lvt < i)          /* perf, thermal, CMCI only when the LAPIC has them */
            continue;
        uint32_t v = lk_lapic_read(lvt[i]);
        if (must_mask(v) && !(v & REDIR_MASKED))
            return lvt_name[i];
    }
    return NULL;
}

void lk_check_lapic(void)
{
    CHECK("lapic");
    EXPECT(lk_window_init() == 0 || (rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD), "no way to reach the LAPIC (no HHDM)");
    const char *problem = lk_lapic_state_problem();
    EXPECT(!problem, "BSP local APIC: %s (svr=%x tpr=%x)", problem, lk_lapic_read(LAPIC_SVR), lk_lapic_read(LAPIC_TPR));
    PASS("svr=%x tpr=0 lvts masked", lk_lapic_read(LAPIC_SVR));
}

void lk_check_paging_mode(void)
{
    CHECK("paging_mode");
    const struct lk_paging_mode_resp *r = lk_req_paging.response;
    NEED(r);
    uint64_t want = lk_expected_paging_mode();
    EXPECT(r->mode == want, "response mode %lu, want %lu", r->mode, want);
    EXPECT(lk_la57() == (r->mode == LK_PAGING_5LVL), "response mode %lu but cr4.LA57=%d", r->mode, lk_la57());
    PASS("mode=%lu-level", r->mode == LK_PAGING_5LVL ? 5UL : 4UL);
}
