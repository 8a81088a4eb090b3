/* Host tests for shared/acpi_pmtimer.c: RSDP -> XSDT or RSDT -> FADT, built
 * here byte by byte in a small "physical memory" buffer: both root tables,
 * X_PM_TMR_BLK over PM_TMR_BLK, 24 and 32 bits, and every way to have no
 * usable timer or a malformed table on the way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "acpi_pmtimer.h"

#define MEM_SIZE   0x4000
#define AT_RSDP    0x100
#define AT_XSDT    0x200
#define AT_RSDT    0x300
#define AT_OTHER   0x400   /* a table that is not the FADT, listed first */
#define AT_FADT    0x800
#define FADT_LEN   276     /* ACPI 6.x */

static uint8_t mem[MEM_SIZE];

static const void *map(void *ctx, paddr_t pa, uint64_t len)
{
    (void)ctx;
    return pa < MEM_SIZE && len <= MEM_SIZE - pa ? mem + pa : NULL;
}

static const struct acpi_mem M = { .map = map, .ctx = NULL };

static void put32(size_t at, uint32_t v) { for (int i = 0; i < 4; i++) mem[at + i] = (uint8_t)(v >> (8 * i)); }
static void put64(size_t at, uint64_t v) { put32(at, (uint32_t)v); put32(at + 4, (uint32_t)(v >> 32)); }

static void fix_sum(size_t at, size_t len, size_t sum_at)
{
    uint8_t s = 0;
    mem[sum_at] = 0;
    for (size_t i = 0; i < len; i++)
        s = (uint8_t)(s + mem[at + i]);
    mem[sum_at] = (uint8_t)-s;
}

static void header(size_t at, const char *sig, uint32_t len)
{
    memcpy(mem + at, sig, 4);
    put32(at + 4, len);
}

/* A FADT with the legacy timer at `port`, optionally X_PM_TMR_BLK. */
static void fadt(uint32_t port, uint32_t flags, uint8_t xspace, uint64_t xaddr)
{
    memset(mem + AT_FADT, 0, FADT_LEN);
    header(AT_FADT, "FACP", FADT_LEN);
    put32(AT_FADT + 76, port);
    mem[AT_FADT + 91] = 4;
    put32(AT_FADT + 112, flags);
    mem[AT_FADT + 208] = xspace;
    put64(AT_FADT + 208 + 4, xaddr);
    fix_sum(AT_FADT, FADT_LEN, AT_FADT + 9);
}

/* RSDP revision 2 with an XSDT (or revision 0 with an RSDT), listing an
 * unrelated table and then the FADT. */
static void tables(int revision)
{
    memset(mem, 0, AT_FADT);
    header(AT_OTHER, "APIC", 44);
    fix_sum(AT_OTHER, 44, AT_OTHER + 9);
    header(AT_XSDT, "XSDT", 36 + 16);
    put64(AT_XSDT + 36, AT_OTHER);
    put64(AT_XSDT + 44, AT_FADT);
    fix_sum(AT_XSDT, 52, AT_XSDT + 9);
    header(AT_RSDT, "RSDT", 36 + 8);
    put32(AT_RSDT + 36, AT_OTHER);
    put32(AT_RSDT + 40, AT_FADT);
    fix_sum(AT_RSDT, 44, AT_RSDT + 9);
    memcpy(mem + AT_RSDP, "RSD PTR ", 8);
    mem[AT_RSDP + 15] = (uint8_t)revision;
    put32(AT_RSDP + 16, AT_RSDT);
    fix_sum(AT_RSDP, 20, AT_RSDP + 8);
    if (revision >= 2) {
        put32(AT_RSDP + 20, 36);
        put64(AT_RSDP + 24, AT_XSDT);
        fix_sum(AT_RSDP, 36, AT_RSDP + 32);
    }
}

static int find(struct acpi_pmtimer *t)
{
    memset(t, 0, sizeof(*t));
    return acpi_find_pmtimer(&M, AT_RSDP, t);
}

static void test_legacy_and_extended_blocks(void **state)
{
    struct acpi_pmtimer t;
    (void)state;

    tables(2);
    fadt(0x608, 0, 0, 0);                      /* QEMU q35's: PM base 0x600 + 8 */
    assert_int_equal(find(&t), 0);
    assert_int_equal(t.port, 0x608);
    assert_int_equal(t.bits, 24);
    fadt(0x608, 1u << 8, 1, 0xB008);           /* X_PM_TMR_BLK wins; 32 bits */
    assert_int_equal(find(&t), 0);
    assert_int_equal(t.port, 0xB008);
    assert_int_equal(t.bits, 32);
    tables(0);                                 /* ACPI 1.0: through the RSDT */
    assert_int_equal(find(&t), 0);
    assert_int_equal(t.port, 0xB008);
}

static void test_no_usable_timer(void **state)
{
    struct acpi_pmtimer t;
    (void)state;

    tables(2);
    fadt(0x608, 1u << 20, 0, 0);               /* hardware-reduced ACPI */
    assert_int_equal(find(&t), -E_NOTFOUND);
    fadt(0x608, 0, 0 /* memory */, 0xFED00000);
    assert_int_equal(find(&t), -E_NOTFOUND);
    fadt(0x608, 0, 1, 0x10000);                /* no such port */
    assert_int_equal(find(&t), -E_NOTFOUND);
    fadt(0, 0, 0, 0);
    assert_int_equal(find(&t), -E_NOTFOUND);
    fadt(0x608, 0, 0, 0);
    mem[AT_FADT + 91] = 0;                     /* PM_TMR_LEN 0: none */
    fix_sum(AT_FADT, FADT_LEN, AT_FADT + 9);
    assert_int_equal(find(&t), -E_NOTFOUND);
    fadt(0x608, 0, 0, 0);
    memcpy(mem + AT_FADT, "FACQ", 4);          /* no FADT listed */
    assert_int_equal(find(&t), -E_NOTFOUND);
}

static void test_malformed_tables(void **state)
{
    struct acpi_pmtimer t;
    (void)state;

    tables(2);
    fadt(0x608, 0, 0, 0);
    mem[AT_FADT + 100] ^= 1;                   /* FADT checksum */
    assert_int_equal(find(&t), -E_INVAL);
    fadt(0x608, 0, 0, 0);
    mem[AT_XSDT + 40] ^= 1;                    /* XSDT checksum */
    assert_int_equal(find(&t), -E_INVAL);
    tables(2);
    mem[AT_RSDP + 33] ^= 1;                    /* extended RSDP checksum */
    assert_int_equal(find(&t), -E_INVAL);
    tables(2);
    put32(AT_XSDT + 4, MEM_SIZE);              /* runs past readable memory */
    assert_int_equal(find(&t), -E_INVAL);
    tables(2);
    memcpy(mem + AT_RSDP, "RSD PTX ", 8);
    assert_int_equal(find(&t), -E_INVAL);
    assert_int_equal(acpi_find_pmtimer(&M, 0, &t), -E_INVAL);
    assert_int_equal(acpi_find_pmtimer(&M, MEM_SIZE - 4, &t), -E_INVAL);
}

static void test_delta_wraps(void **state)
{
    (void)state;
    assert_int_equal(acpi_pmtimer_delta(10, 20, 24), 10);
    assert_int_equal(acpi_pmtimer_delta(0xFFFFF0, 0x10, 24), 0x20);
    assert_int_equal(acpi_pmtimer_delta(0xFFFFFFF0u, 0x10, 32), 0x20);
    assert_int_equal(acpi_pmtimer_delta(5, 5, 32), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_legacy_and_extended_blocks),
        cmocka_unit_test(test_no_usable_timer),
        cmocka_unit_test(test_malformed_tables),
        cmocka_unit_test(test_delta_wraps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
