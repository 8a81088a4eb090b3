/* MTRRs: every CPU must describe memory types the same way (SDM Vol. 3A
 * 11.11.8). The BSP's MTRRs are the reference; each AP compares its own
 * with them and, when they differ, reprograms them with the SDM's sequence
 * (11.11.7.2: caches off, flush, MTRRs off, write, flush, MTRRs on, caches
 * on). Firmware normally leaves them equal; this makes it a checked fact. */
#include "kernel.h"
#include "x86/cpu.h"

#define MSR_MTRRCAP        0x0FE
#define MSR_MTRR_DEF_TYPE  0x2FF
#define MSR_MTRR_PHYSBASE0 0x200      /* pairs: base 0x200 + 2n, mask 0x201 + 2n */
#define MTRRCAP_VCNT_MASK  0xFF
#define MTRRCAP_FIX        (1ULL << 8)
#define MTRR_DEF_ENABLE    (1ULL << 11)
#define CPUID1_EDX_MTRR    (1U << 12)
#define MTRR_MAX_VAR       32

/* The eleven fixed-range MTRRs (SDM Table 11-9). */
static const uint32_t fixed_msrs[] = { 0x250, 0x258, 0x259, 0x268, 0x269, 0x26A,
                                       0x26B, 0x26C, 0x26D, 0x26E, 0x26F };

struct mtrr_state {
    bool present;
    uint64_t def_type;
    uint64_t fixed[ARRAY_LEN(fixed_msrs)];
    unsigned nvar;
    uint64_t var[2 * MTRR_MAX_VAR];
};

static struct mtrr_state bsp_state;

static void mtrr_read(struct mtrr_state *s)
{
    *s = (struct mtrr_state){ 0 };
    s->present = (cpuid(CPUID_FEATURES, 0).edx & CPUID1_EDX_MTRR) != 0;
    if (!s->present)
        return;
    uint64_t cap = rdmsr(MSR_MTRRCAP);
    s->def_type = rdmsr(MSR_MTRR_DEF_TYPE);
    for (size_t i = 0; i < ARRAY_LEN(fixed_msrs); i++)
        s->fixed[i] = (cap & MTRRCAP_FIX) ? rdmsr(fixed_msrs[i]) : 0;
    s->nvar = MIN((unsigned)(cap & MTRRCAP_VCNT_MASK), MTRR_MAX_VAR);
    for (unsigned i = 0; i < 2 * s->nvar; i++)
        s->var[i] = rdmsr(MSR_MTRR_PHYSBASE0 + i);
}

static bool mtrr_equal(const struct mtrr_state *a, const struct mtrr_state *b)
{
    if (a->present != b->present || a->def_type != b->def_type || a->nvar != b->nvar)
        return false;
    for (size_t i = 0; i < ARRAY_LEN(fixed_msrs); i++)
        if (a->fixed[i] != b->fixed[i])
            return false;
    for (unsigned i = 0; i < 2 * a->nvar; i++)
        if (a->var[i] != b->var[i])
            return false;
    return true;
}

/* Interrupts are off on an AP at this point (ap_main runs before STI). */
static void mtrr_write(const struct mtrr_state *s)
{
    uint64_t cr0 = read_cr0();
    uint64_t cap = rdmsr(MSR_MTRRCAP);

    write_cr0((cr0 | CR0_CD) & ~CR0_NW);
    __asm__ volatile("wbinvd" ::: "memory");
    write_cr3(read_cr3());
    wrmsr(MSR_MTRR_DEF_TYPE, s->def_type & ~MTRR_DEF_ENABLE);
    if (cap & MTRRCAP_FIX)
        for (size_t i = 0; i < ARRAY_LEN(fixed_msrs); i++)
            wrmsr(fixed_msrs[i], s->fixed[i]);
    for (unsigned i = 0; i < 2 * s->nvar; i++)
        wrmsr(MSR_MTRR_PHYSBASE0 + i, s->var[i]);
    __asm__ volatile("wbinvd" ::: "memory");
    write_cr3(read_cr3());
    wrmsr(MSR_MTRR_DEF_TYPE, s->def_type);
    write_cr0(cr0);
}

void mtrr_save_bsp(void)
{
    mtrr_read(&bsp_state);
}

/* On an AP: make its MTRRs the BSP's. Returns MTRR_MATCHED (already equal),
 * MTRR_SYNCED (reprogrammed and now equal) or MTRR_MISMATCH. */
enum mtrr_sync mtrr_sync_ap(void)
{
    struct mtrr_state mine;

    mtrr_read(&mine);
    if (mtrr_equal(&mine, &bsp_state))
        return MTRR_MATCHED;
    if (mine.present && bsp_state.present && mine.nvar == bsp_state.nvar) {
        mtrr_write(&bsp_state);
        mtrr_read(&mine);
        if (mtrr_equal(&mine, &bsp_state))
            return MTRR_SYNCED;
    }
    return MTRR_MISMATCH;
}
