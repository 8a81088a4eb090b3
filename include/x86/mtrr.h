/* MTRRs and their per-CPU update (Intel SDM Vol. 3A 12.11: 12.11.1 MTRRcap,
 * 12.11.2 MTRRdefType and the fixed/variable ranges, 12.11.8 the update
 * every processor of an MP system runs). Every CPU must describe memory
 * types the same way; the BSP's are the reference. Assembler-safe
 * constants; the C part reads and writes the calling CPU's registers and is
 * used by the kernel's APs (kernel/mtrr.c) and the loader's Limine APs
 * (efi/limine_cpu.c). Inline and free of out-of-line calls and of data it
 * does not get by pointer, because the loader runs it at an HHDM alias. */
#ifndef PAGODA_X86_MTRR_H
#define PAGODA_X86_MTRR_H

#include "x86/cpu.h"

#define CPUID1_EDX_MTRR     BIT32(12)
#define MSR_MTRRCAP         X86_U(0x0FE)
#define MTRRCAP_VCNT_MASK   X86_U(0xFF)   /* variable ranges */
#define MTRRCAP_FIX         BIT64(8)      /* fixed ranges supported */
#define MSR_MTRR_DEF_TYPE   X86_U(0x2FF)
#define MTRR_DEF_FIX_ENABLE BIT64(10)
#define MTRR_DEF_ENABLE     BIT64(11)
#define MSR_MTRR_PHYSBASE0  X86_U(0x200)  /* pairs: base 0x200 + 2n, mask 0x201 + 2n */
#define MTRR_PHYSMASK_VALID BIT64(11)
#define MSR_MTRR_FIX64K_00000 X86_U(0x250)
#define MSR_MTRR_FIX16K_80000 X86_U(0x258)
#define MSR_MTRR_FIX16K_A0000 X86_U(0x259)
#define MSR_MTRR_FIX4K_C0000  X86_U(0x268) /* through 0x26F: eight 4K-range registers */
#define MTRR_FIXED_COUNT    11
#define MTRR_MAX_VAR        32            /* more than any CPU has; a larger VCNT is cut here */

#ifndef __ASSEMBLER__
#include <stdbool.h>

struct mtrr_state {
    bool present;                     /* CPUID.1:EDX.MTRR */
    bool fixed_present;               /* MTRRcap.FIX */
    uint64_t def_type;
    uint64_t fixed[MTRR_FIXED_COUNT];
    unsigned nvar;
    uint64_t var[2 * MTRR_MAX_VAR];   /* base, mask, base, mask, ... */
};

/* The fixed-range MTRRs in SDM order (Table 12-9). */
static inline uint32_t mtrr_fixed_msr(unsigned i)
{
    if (i == 0)
        return MSR_MTRR_FIX64K_00000;
    if (i < 3)
        return MSR_MTRR_FIX16K_80000 + (i - 1);
    return MSR_MTRR_FIX4K_C0000 + (i - 3);
}

static inline void mtrr_state_read(struct mtrr_state *s)
{
    s->present = (cpuid(CPUID_FEATURES, 0).edx & CPUID1_EDX_MTRR) != 0;
    s->fixed_present = false;
    s->def_type = 0;
    s->nvar = 0;
    for (unsigned i = 0; i < MTRR_FIXED_COUNT; i++)
        s->fixed[i] = 0;
    if (!s->present)
        return;
    uint64_t cap = rdmsr(MSR_MTRRCAP);
    s->fixed_present = (cap & MTRRCAP_FIX) != 0;
    s->def_type = rdmsr(MSR_MTRR_DEF_TYPE);
    for (unsigned i = 0; s->fixed_present && i < MTRR_FIXED_COUNT; i++)
        s->fixed[i] = rdmsr(mtrr_fixed_msr(i));
    s->nvar = cap & MTRRCAP_VCNT_MASK;
    if (s->nvar > MTRR_MAX_VAR)
        s->nvar = MTRR_MAX_VAR;
    for (unsigned i = 0; i < 2 * s->nvar; i++)
        s->var[i] = rdmsr(MSR_MTRR_PHYSBASE0 + i);
}

static inline bool mtrr_state_equal(const struct mtrr_state *a, const struct mtrr_state *b)
{
    if (a->present != b->present || a->fixed_present != b->fixed_present || a->def_type != b->def_type ||
        a->nvar != b->nvar)
        return false;
    for (unsigned i = 0; i < MTRR_FIXED_COUNT; i++)
        if (a->fixed[i] != b->fixed[i])
            return false;
    for (unsigned i = 0; i < 2 * a->nvar; i++)
        if (a->var[i] != b->var[i])
            return false;
    return true;
}

/* SDM 12.11.8, the steps one processor runs, with interrupts off: no-fill
 * cache mode (CR0.CD = 1, NW = 0), WBINVD, TLB flush (CR4.PGE cleared, or a
 * CR3 reload), MTRRs disabled, the ranges written, MTRRs enabled, WBINVD and
 * TLB flush again, normal cache mode, PGE back. A PAT change needs the same
 * steps (12.12.4), so *pat (when not NULL) is written in the same window.
 * The caller checked that this CPU has s's MTRRs (present, nvar). */
static inline void mtrr_state_write(const struct mtrr_state *s, const uint64_t *pat)
{
    uint64_t cr0 = read_cr0(), cr4 = read_cr4();

    write_cr0((cr0 | CR0_CD) & ~CR0_NW);
    __asm__ volatile("wbinvd" ::: "memory");
    if (cr4 & CR4_PGE)
        write_cr4(cr4 & ~CR4_PGE);
    else
        write_cr3(read_cr3());
    wrmsr(MSR_MTRR_DEF_TYPE, s->def_type & ~(MTRR_DEF_ENABLE | MTRR_DEF_FIX_ENABLE));
    for (unsigned i = 0; s->fixed_present && i < MTRR_FIXED_COUNT; i++)
        wrmsr(mtrr_fixed_msr(i), s->fixed[i]);
    for (unsigned i = 0; i < 2 * s->nvar; i++)
        wrmsr(MSR_MTRR_PHYSBASE0 + i, s->var[i]);
    if (pat)
        wrmsr(MSR_PAT, *pat);
    wrmsr(MSR_MTRR_DEF_TYPE, s->def_type);
    __asm__ volatile("wbinvd" ::: "memory");
    write_cr3(read_cr3());
    write_cr0(cr0 & ~(CR0_CD | CR0_NW));
    if (cr4 & CR4_PGE)
        write_cr4(cr4);
}
#endif

#endif
