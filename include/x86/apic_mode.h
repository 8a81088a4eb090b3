/* A CPU's local APIC mode, xAPIC or x2APIC (Intel SDM Vol. 3A 11.12.5,
 * "x2APIC State Transitions"): IA32_APIC_BASE EN (bit 11) and EXTD (bit 10)
 * are per CPU. The valid transitions used here are disabled -> xAPIC,
 * xAPIC -> x2APIC and x2APIC -> disabled; x2APIC -> xAPIC directly raises
 * #GP, and leaving x2APIC (through disabled) resets the local APIC's state.
 * Some CPUs lock x2APIC on (IA32_XAPIC_DISABLE_STATUS bit 0, enumerated by
 * IA32_ARCH_CAPABILITIES bit 21, itself enumerated by CPUID.(7,0):EDX[29]);
 * then it cannot be left at all. Assembler-safe constants; the C part acts
 * on the calling CPU. */
#ifndef PAGODA_X86_APIC_MODE_H
#define PAGODA_X86_APIC_MODE_H

#include "x86/cpu.h"

#define CPUID7_EDX_ARCH_CAP       BIT32(29)
#define MSR_ARCH_CAPABILITIES     X86_U(0x0000010A)
#define ARCH_CAP_XAPIC_DISABLE    BIT64(21)   /* IA32_XAPIC_DISABLE_STATUS exists */
#define MSR_XAPIC_DISABLE_STATUS  X86_U(0x000000BD)
#define XAPIC_DISABLE_LEGACY      BIT64(0)    /* x2APIC locked on: xAPIC is gone */

#ifndef __ASSEMBLER__
#include <stdbool.h>

static inline bool apic_x2apic_supported(void)
{
    return (cpuid(CPUID_FEATURES, 0).ecx & CPUID1_ECX_X2APIC) != 0;
}

static inline bool apic_x2apic_on(void)
{
    return (rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD) != 0;
}

/* x2APIC locked on: this CPU cannot return to xAPIC. */
static inline bool apic_x2apic_locked(void)
{
    if (cpuid(0, 0).eax < CPUID_EXT_FEATURES7 || !(cpuid(CPUID_EXT_FEATURES7, 0).edx & CPUID7_EDX_ARCH_CAP))
        return false;
    if (!(rdmsr(MSR_ARCH_CAPABILITIES) & ARCH_CAP_XAPIC_DISABLE))
        return false;
    return (rdmsr(MSR_XAPIC_DISABLE_STATUS) & XAPIC_DISABLE_LEGACY) != 0;
}

/* This CPU's local APIC enabled in the mode asked, through valid
 * transitions only. The caller has checked that the mode is possible (CPUID
 * for x2APIC; not locked, and an APIC ID an xAPIC can hold, for xAPIC).
 * Leaving x2APIC resets the local APIC: its registers are then as after
 * power-up (every LVT masked, software-disabled). */
static inline void apic_mode_set(bool x2apic)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);

    if ((base & APIC_BASE_EXTD) && !x2apic) {
        base &= ~(APIC_BASE_EN | APIC_BASE_EXTD);
        wrmsr(MSR_APIC_BASE, base);
    }
    if (!(base & APIC_BASE_EN)) {
        base |= APIC_BASE_EN;
        wrmsr(MSR_APIC_BASE, base);
    }
    if (x2apic && !(base & APIC_BASE_EXTD))
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
}
#endif

#endif
