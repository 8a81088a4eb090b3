/* The waits in the INIT-SIPI-SIPI sequence that starts an AP, by CPU.
 * The SDM's sequence (Vol. 3A 8.4.4.1) waits 10 ms after INIT and 200 us
 * between the SIPIs; the 10 ms is for the external-APIC and early
 * integrated-APIC CPUs. Linux (arch/x86/kernel/smpboot.c,
 * smp_quirk_init_udelay) waits nothing after INIT on Intel family >= 6,
 * AMD family >= 0xF and Hygon family >= 0x18, and 10 us between SIPIs
 * there. Pure decision from CPUID values; the kernel (kernel/smp.c) reads
 * them and can be told to use the legacy waits anyway. Host-tested in
 * tests/host/test_ap_start_timing.c. */
#ifndef PAGODA_AP_START_TIMING_H
#define PAGODA_AP_START_TIMING_H

#include "types.h"

#define AP_INIT_WAIT_LEGACY_US 10000
#define AP_SIPI_WAIT_LEGACY_US 200
#define AP_INIT_WAIT_MODERN_US 0
#define AP_SIPI_WAIT_MODERN_US 10

/* First modern family per vendor. */
#define AP_MODERN_FAMILY_INTEL 0x6
#define AP_MODERN_FAMILY_AMD   0xF
#define AP_MODERN_FAMILY_HYGON 0x18

enum cpu_vendor { CPU_VENDOR_OTHER, CPU_VENDOR_INTEL, CPU_VENDOR_AMD, CPU_VENDOR_HYGON };

struct ap_start_timing {
    uint32_t init_wait_us;   /* after INIT, before the first SIPI */
    uint32_t sipi_wait_us;   /* between the two SIPIs */
    bool legacy;
};

/* The vendor string of CPUID leaf 0 (EBX, EDX, ECX, in that order). */
enum cpu_vendor cpu_vendor_from_cpuid0(uint32_t ebx, uint32_t ecx, uint32_t edx);
/* Display family from CPUID leaf 1 EAX: base family, plus the extended
 * family when the base is 0xF (SDM Vol. 2A, CPUID, figure 3-6). */
uint32_t cpu_family_from_cpuid1(uint32_t eax);

/* Legacy waits unless the CPU is known not to need them: an unknown
 * vendor or an old family gets the SDM's. */
struct ap_start_timing ap_start_timing_for(enum cpu_vendor vendor, uint32_t family);
struct ap_start_timing ap_start_timing_legacy(void);

#endif
