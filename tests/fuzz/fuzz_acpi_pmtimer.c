/* libFuzzer harness for acpi_find_pmtimer (shared/acpi_pmtimer.c): the
 * loader reads ACPI tables the firmware built, which on a machine it does
 * not know may be anything. The input is the "physical memory" (an exact-
 * size copy, so ASan sees a read one byte past it), its first two bytes
 * where the RSDP is. Whatever the bytes: the result is 0, -E_INVAL or
 * -E_NOTFOUND, no read leaves the memory, and a timer found is an I/O port
 * (1-0xFFFF) of 24 or 32 bits.
 *
 * Build: make build/fuzz/fuzz_acpi_pmtimer
 * Run:   build/fuzz/fuzz_acpi_pmtimer -max_total_time=60 CORPUS_DIR
 */
#include "acpi_pmtimer.h"
#include "fuzz_common.h"

struct image {
    const uint8_t *bytes;
    size_t size;
};

static const void *map(void *ctx, paddr_t pa, uint64_t len)
{
    const struct image *im = ctx;
    return pa < im->size && len <= im->size - pa ? im->bytes + pa : NULL;
}

static void run(const uint8_t *bytes, size_t size, paddr_t rsdp)
{
    struct image im = { .bytes = bytes, .size = size };
    const struct acpi_mem mem = { .map = map, .ctx = &im };
    struct acpi_pmtimer t = { 0, 0 };
    int rc = acpi_find_pmtimer(&mem, rsdp, &t);

    REQUIRE(rc == 0 || rc == -E_INVAL || rc == -E_NOTFOUND);
    if (rc == 0)
        REQUIRE(t.port != 0 && (t.bits == 24 || t.bits == 32));
}

#define S_SIZE 0x1000
#define S_RSDP 0x100
#define S_XSDT 0x200
#define S_FADT 0x800
#define S_FADT_LEN 276

static void put32(uint8_t *m, size_t at, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        m[at + i] = (uint8_t)(v >> (8 * i));
}

static void fix_sum(uint8_t *m, size_t at, size_t len, size_t sum_at)
{
    uint8_t sum = 0;

    m[sum_at] = 0;
    for (size_t i = 0; i < len && at + i < S_SIZE; i++)
        sum = (uint8_t)(sum + m[at + i]);
    m[sum_at] = (uint8_t)-sum;
}

static void structured(const uint8_t *in, size_t n, bool fix)
{
    uint8_t *m = calloc(1, S_SIZE);

    memcpy(m + S_RSDP, "RSD PTR ", 8);
    m[S_RSDP + 15] = 2;
    put32(m, S_RSDP + 20, 36);
    put32(m, S_RSDP + 24, S_XSDT);
    memcpy(m + S_XSDT, "XSDT", 4);
    put32(m, S_XSDT + 4, 44);
    put32(m, S_XSDT + 36, S_FADT);
    memcpy(m + S_FADT, "FACP", 4);
    put32(m, S_FADT + 4, S_FADT_LEN);
    put32(m, S_FADT + 76, 0x608);
    m[S_FADT + 91] = 4;
    for (size_t i = 0; i < n; i++)
        m[(S_RSDP + i) % S_SIZE] ^= in[i];
    if (fix) {
        fix_sum(m, S_RSDP, 20, S_RSDP + 8);
        fix_sum(m, S_RSDP, 36, S_RSDP + 32);
        fix_sum(m, S_XSDT, m[S_XSDT + 4] | m[S_XSDT + 5] << 8, S_XSDT + 9);
        fix_sum(m, S_FADT, m[S_FADT + 4] | m[S_FADT + 5] << 8, S_FADT + 9);
    }
    run(m, S_SIZE, S_RSDP);
    free(m);
}

static void check(const uint8_t *file, size_t size)
{
    if (size >= 1 && (file[0] & 1)) {
        structured(file + 1, size - 1, file[0] & 2);
        return;
    }
    run(file, size, size >= 3 ? (paddr_t)(file[1] | file[2] << 8) : 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_check_copy(data, size, check);
    return 0;
}
