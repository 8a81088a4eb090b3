/* The ACPI PM timer's location, from the RSDP to the FADT. Contract and
 * sources: include/acpi_pmtimer.h. Every table is read only through the
 * caller's map hook, within the length its header gives (never more than
 * ACPI_TABLE_MAX), and trusted only after its checksum held. */
#include "acpi_pmtimer.h"

#define ACPI_TABLE_MAX     (1 * MiB)   /* a longer table is garbage, not ACPI */
#define ACPI_HDR_LEN       36          /* standard description header */
#define ACPI_HDR_LENGTH    4           /* u32 */
#define RSDP_V1_LEN        20
#define RSDP_REVISION      15          /* u8: 0 = ACPI 1.0, RSDT only */
#define RSDP_RSDT          16          /* u32 */
#define RSDP_LENGTH        20          /* u32, revision 2+ */
#define RSDP_XSDT          24          /* u64, revision 2+ */
#define RSDP_V2_LEN        36
#define RSDP_MAX_LEN       256         /* a longer one is garbage */
#define FADT_PM_TMR_BLK    76          /* u32: I/O port */
#define FADT_PM_TMR_LEN    91          /* u8: 4 when there is a timer */
#define FADT_FLAGS         112         /* u32 */
#define FADT_TMR_VAL_EXT   (1u << 8)
#define FADT_HW_REDUCED    (1u << 20)
#define FADT_X_PM_TMR_BLK  208         /* Generic Address Structure, 12 bytes */
#define GAS_SPACE_ID       0           /* u8 */
#define GAS_ADDRESS        4           /* u64 */
#define GAS_SPACE_IO       1
#define IO_PORT_MAX        0xFFFF

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
    return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool sums_to_zero(const uint8_t *p, uint64_t len)
{
    uint8_t sum = 0;

    for (uint64_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum == 0;
}

static bool same(const uint8_t *p, const char *sig, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)sig[i])
            return false;
    return true;
}

/* The table at pa whose signature is `sig` (NULL: any), whole and summing
 * to zero; its length in *len. NULL when it is not. */
static const uint8_t *table(const struct acpi_mem *mem, paddr_t pa, const char *sig, uint32_t *len)
{
    const uint8_t *hdr = pa ? mem->map(mem->ctx, pa, ACPI_HDR_LEN) : NULL;

    if (hdr == NULL || (sig && !same(hdr, sig, 4)))
        return NULL;
    *len = le32(hdr + ACPI_HDR_LENGTH);
    if (*len < ACPI_HDR_LEN || *len > ACPI_TABLE_MAX)
        return NULL;
    const uint8_t *t = mem->map(mem->ctx, pa, *len);
    return t && sums_to_zero(t, *len) ? t : NULL;
}

/* The FADT's address among the root table's entries (4 or 8 bytes each). */
static paddr_t find_fadt(const struct acpi_mem *mem, const uint8_t *root, uint32_t len,
                         unsigned entry)
{
    for (uint32_t at = ACPI_HDR_LEN; at + entry <= len; at += entry) {
        paddr_t pa = entry == 8 ? le64(root + at) : le32(root + at);
        const uint8_t *hdr = pa ? mem->map(mem->ctx, pa, ACPI_HDR_LEN) : NULL;
        if (hdr && same(hdr, "FACP", 4))
            return pa;
    }
    return 0;
}

/* The RSDP's root table: the XSDT from revision 2 (when its address is
 * set), else the RSDT. */
static const uint8_t *root_table(const struct acpi_mem *mem, paddr_t rsdp, uint32_t *len,
                                 unsigned *entry)
{
    const uint8_t *r = rsdp ? mem->map(mem->ctx, rsdp, RSDP_V1_LEN) : NULL;

    if (r == NULL || !same(r, "RSD PTR ", 8) || !sums_to_zero(r, RSDP_V1_LEN))
        return NULL;
    if (r[RSDP_REVISION] >= 2) {
        const uint8_t *r2 = mem->map(mem->ctx, rsdp, RSDP_V2_LEN);
        uint32_t rlen = r2 ? le32(r2 + RSDP_LENGTH) : 0;
        const uint8_t *whole = rlen >= RSDP_V2_LEN && rlen <= RSDP_MAX_LEN
                                   ? mem->map(mem->ctx, rsdp, rlen) : NULL;
        if (whole == NULL || !sums_to_zero(whole, rlen))
            return NULL;
        if (le64(whole + RSDP_XSDT)) {
            *entry = 8;
            return table(mem, le64(whole + RSDP_XSDT), "XSDT", len);
        }
    }
    *entry = 4;
    return table(mem, le32(r + RSDP_RSDT), "RSDT", len);
}

int acpi_find_pmtimer(const struct acpi_mem *mem, paddr_t rsdp, struct acpi_pmtimer *out)
{
    uint32_t root_len, fadt_len;
    unsigned entry;
    const uint8_t *root = root_table(mem, rsdp, &root_len, &entry);

    if (root == NULL)
        return -E_INVAL;
    paddr_t fadt_pa = find_fadt(mem, root, root_len, entry);
    if (fadt_pa == 0)
        return -E_NOTFOUND;
    const uint8_t *fadt = table(mem, fadt_pa, "FACP", &fadt_len);
    if (fadt == NULL)
        return -E_INVAL;
    if (fadt_len < FADT_FLAGS + 4)
        return -E_NOTFOUND;   /* too old to say; ACPI 1.0's FADT is 116 bytes */
    uint32_t flags = le32(fadt + FADT_FLAGS);
    if ((flags & FADT_HW_REDUCED) || fadt[FADT_PM_TMR_LEN] != 4)
        return -E_NOTFOUND;
    uint64_t port = le32(fadt + FADT_PM_TMR_BLK);
    /* X_PM_TMR_BLK wins when it is there and set (5.2.9: "if ... non-zero"). */
    if (fadt_len >= FADT_X_PM_TMR_BLK + 12 && le64(fadt + FADT_X_PM_TMR_BLK + GAS_ADDRESS)) {
        if (fadt[FADT_X_PM_TMR_BLK + GAS_SPACE_ID] != GAS_SPACE_IO)
            return -E_NOTFOUND;   /* a memory-mapped timer: the loader reads ports only */
        port = le64(fadt + FADT_X_PM_TMR_BLK + GAS_ADDRESS);
    }
    if (port == 0 || port > IO_PORT_MAX)
        return -E_NOTFOUND;
    out->port = (uint16_t)port;
    out->bits = (flags & FADT_TMR_VAL_EXT) ? 32 : 24;
    return 0;
}
