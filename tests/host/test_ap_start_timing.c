/* Tests for shared/ap_start_timing.c: vendor strings and display family
 * from raw CPUID registers (values as real CPUs and QEMU's models return
 * them), and which CPUs keep the SDM's 10 ms INIT wait. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ap_start_timing.h"

/* "GenuineIntel": EBX "Genu", EDX "ineI", ECX "ntel", little-endian. */
#define INTEL_EBX 0x756E6547u
#define INTEL_EDX 0x49656E69u
#define INTEL_ECX 0x6C65746Eu
#define AMD_EBX   0x68747541u   /* "Auth" */
#define AMD_EDX   0x69746E65u   /* "enti" */
#define AMD_ECX   0x444D4163u   /* "cAMD" */
#define HYGON_EBX 0x6F677948u   /* "Hygo" */
#define HYGON_EDX 0x6E65476Eu   /* "nGen" */
#define HYGON_ECX 0x656E6975u   /* "uine" */

static void test_vendor(void **state)
{
    (void)state;
    assert_int_equal(cpu_vendor_from_cpuid0(INTEL_EBX, INTEL_ECX, INTEL_EDX), CPU_VENDOR_INTEL);
    assert_int_equal(cpu_vendor_from_cpuid0(AMD_EBX, AMD_ECX, AMD_EDX), CPU_VENDOR_AMD);
    assert_int_equal(cpu_vendor_from_cpuid0(HYGON_EBX, HYGON_ECX, HYGON_EDX), CPU_VENDOR_HYGON);
    /* EDX and ECX swapped is not Intel: the order is EBX, EDX, ECX. */
    assert_int_equal(cpu_vendor_from_cpuid0(INTEL_EBX, INTEL_EDX, INTEL_ECX), CPU_VENDOR_OTHER);
    assert_int_equal(cpu_vendor_from_cpuid0(0, 0, 0), CPU_VENDOR_OTHER);
}

struct family_case { uint32_t eax; uint32_t family; const char *what; };

static const struct family_case family_cases[] = {
    { 0x000906EA, 0x6, "Coffee Lake: family 6" },
    { 0x00000F29, 0xF, "Pentium 4 (Northwood): family 0xF, extended 0" },
    { 0x00000663, 0x6, "QEMU qemu64/max under TCG report 6 or 0xF; 6 here" },
    { 0x00A20F10, 0x19, "Zen 3: 0xF + 0x0A" },
    { 0x00800F12, 0x17, "Zen 1: 0xF + 0x08" },
    { 0x00900F01, 0x18, "Hygon Dhyana: 0xF + 0x09" },
    { 0x00000543, 0x5, "Pentium: family 5" },
    { 0x00F00500, 0x5, "extended family ignored when the base is not 0xF" },
};

static void test_family(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(family_cases) / sizeof(family_cases[0]); i++) {
        print_message("%s\n", family_cases[i].what);
        assert_int_equal(cpu_family_from_cpuid1(family_cases[i].eax), family_cases[i].family);
    }
}

struct timing_case { enum cpu_vendor vendor; uint32_t family; bool legacy; };

static const struct timing_case timing_cases[] = {
    { CPU_VENDOR_INTEL, 0x6, false },  { CPU_VENDOR_INTEL, 0xF, false }, { CPU_VENDOR_INTEL, 0x13, false },
    { CPU_VENDOR_INTEL, 0x5, true },   { CPU_VENDOR_INTEL, 0x4, true },
    { CPU_VENDOR_AMD, 0xF, false },    { CPU_VENDOR_AMD, 0x19, false },  { CPU_VENDOR_AMD, 0x6, true },
    { CPU_VENDOR_HYGON, 0x18, false }, { CPU_VENDOR_HYGON, 0x17, true },
    { CPU_VENDOR_OTHER, 0x6, true },   { CPU_VENDOR_OTHER, 0x19, true },
};

static void test_timing(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(timing_cases) / sizeof(timing_cases[0]); i++) {
        const struct timing_case *c = &timing_cases[i];
        struct ap_start_timing t = ap_start_timing_for(c->vendor, c->family);
        assert_int_equal(t.legacy, c->legacy);
        assert_int_equal(t.init_wait_us, c->legacy ? AP_INIT_WAIT_LEGACY_US : AP_INIT_WAIT_MODERN_US);
        assert_int_equal(t.sipi_wait_us, c->legacy ? AP_SIPI_WAIT_LEGACY_US : AP_SIPI_WAIT_MODERN_US);
    }
    struct ap_start_timing l = ap_start_timing_legacy();
    assert_true(l.legacy);
    assert_int_equal(l.init_wait_us, 10000);   /* the SDM's figures, not just the macro's */
    assert_int_equal(l.sipi_wait_us, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vendor),
        cmocka_unit_test(test_family),
        cmocka_unit_test(test_timing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
