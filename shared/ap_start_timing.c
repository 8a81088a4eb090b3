/* The INIT-SIPI-SIPI waits by CPU vendor and family. API and sources:
 * include/ap_start_timing.h. */
#include "ap_start_timing.h"

/* The 12 vendor bytes as CPUID leaf 0 returns them: EBX, EDX, ECX. */
static bool vendor_is(uint32_t ebx, uint32_t ecx, uint32_t edx, const char s[13])
{
    const uint32_t regs[3] = { ebx, edx, ecx };
    for (unsigned i = 0; i < 12; i++)
        if ((char)(regs[i / 4] >> (8 * (i % 4))) != s[i])
            return false;
    return true;
}

enum cpu_vendor cpu_vendor_from_cpuid0(uint32_t ebx, uint32_t ecx, uint32_t edx)
{
    if (vendor_is(ebx, ecx, edx, "GenuineIntel"))
        return CPU_VENDOR_INTEL;
    if (vendor_is(ebx, ecx, edx, "AuthenticAMD"))
        return CPU_VENDOR_AMD;
    if (vendor_is(ebx, ecx, edx, "HygonGenuine"))
        return CPU_VENDOR_HYGON;
    return CPU_VENDOR_OTHER;
}

uint32_t cpu_family_from_cpuid1(uint32_t eax)
{
    uint32_t base = (eax >> 8) & 0xF;
    return base == 0xF ? base + ((eax >> 20) & 0xFF) : base;
}

struct ap_start_timing ap_start_timing_legacy(void)
{
    return (struct ap_start_timing){ AP_INIT_WAIT_LEGACY_US, AP_SIPI_WAIT_LEGACY_US, true };
}

struct ap_start_timing ap_start_timing_for(enum cpu_vendor vendor, uint32_t family)
{
    bool modern = (vendor == CPU_VENDOR_INTEL && family >= AP_MODERN_FAMILY_INTEL) ||
                  (vendor == CPU_VENDOR_AMD && family >= AP_MODERN_FAMILY_AMD) ||
                  (vendor == CPU_VENDOR_HYGON && family >= AP_MODERN_FAMILY_HYGON);
    if (!modern)
        return ap_start_timing_legacy();
    return (struct ap_start_timing){ AP_INIT_WAIT_MODERN_US, AP_SIPI_WAIT_MODERN_US, false };
}
