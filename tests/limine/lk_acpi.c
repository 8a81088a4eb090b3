/* ACPI facts for the checks: the MADT's enabled CPUs (ACPI UID, APIC ID) and
 * I/O APICs, the DMAR's VT-d units, the IVRS's AMD-Vi units, read through the private window from the RSDP's physical
 * address; and this CPU's own local APIC, read through the window (xAPIC) or
 * the x2APIC MSRs. Parsed once, on the BSP, before APs are released. */
#include "lk_kernel.h"
#include "lk_x86.h"

#define RSDP_XSDT_REV 2
#define MADT_LAPIC 0
#define MADT_IOAPIC 1
#define MADT_X2APIC 9
#define MADT_ENABLED (1u << 0)
#define MADT_ONLINE_CAPABLE (1u << 1)
#define SDT_HEADER 36
#define MADT_ENTRIES 44
#define DMAR_STRUCTS 48
#define DMAR_DRHD 0
#define IVRS_BLOCKS 48
#define MAX_TABLE 8192
#define LAPIC_PHYS_DEFAULT 0xfee00000UL
#define LAPIC_BASE_MASK 0x000ffffffffff000UL
#define LAPIC_REG_ID 0x20

static struct lk_acpi acpi;
static int acpi_parsed;
static uint8_t table_buf[MAX_TABLE];

uint64_t lk_rsdp_phys(void)
{
    const struct lk_address_resp *r = lk_req_rsdp.response;
    if (!r || !r->address)
        return 0;
    /* Physical at base revision 3 only; an HHDM pointer otherwise. */
    return LK_BASE_REVISION == 3 ? r->address : lk_virt_to_phys_hint(r->address);
}

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Copy the table at pa into table_buf; 0 if its length is sane and its
 * checksum holds. */
static int load_table(uint64_t pa)
{
    if (lk_phys_copy(table_buf, pa, SDT_HEADER))
        return -1;
    uint32_t len = rd32(table_buf + 4);
    if (len < SDT_HEADER || len > MAX_TABLE || lk_phys_copy(table_buf, pa, len))
        return -1;
    return lk_sum8(table_buf, len) == 0 ? 0 : -1;
}

static void parse_madt(void)
{
    uint32_t len = rd32(table_buf + 4);
    for (uint32_t off = MADT_ENTRIES; off + 2 <= len;) {
        const uint8_t *e = table_buf + off;
        uint8_t type = e[0], elen = e[1];
        if (elen < 2 || off + elen > len)
            break;
        if (type == MADT_LAPIC && elen >= 8 && (rd32(e + 4) & MADT_ENABLED) && acpi.cpu_count < LK_MAX_CPUS)
            acpi.cpus[acpi.cpu_count++] = (struct lk_madt_cpu){ e[2], e[3] };
        if (type == MADT_X2APIC && elen >= 16 && (rd32(e + 8) & MADT_ENABLED) && acpi.cpu_count < LK_MAX_CPUS)
            acpi.cpus[acpi.cpu_count++] = (struct lk_madt_cpu){ rd32(e + 12), rd32(e + 4) };
        if (type == MADT_IOAPIC && elen >= 12 && acpi.ioapic_count < LK_MAX_IOAPICS)
            acpi.ioapics[acpi.ioapic_count++] = (struct lk_madt_ioapic){ rd32(e + 4), rd32(e + 8) };
        off += elen;
    }
}

/* VT-d (Intel VT-d 8.1, 8.3): remapping structures from offset 48, each
 * u16 type, u16 length; type 0 (DRHD) holds its register base at +8. */
static void parse_dmar(void)
{
    uint32_t len = rd32(table_buf + 4);
    acpi.dmar = 1;
    for (uint32_t off = DMAR_STRUCTS; off + 4 <= len;) {
        const uint8_t *e = table_buf + off;
        uint16_t type = (uint16_t)(e[0] | e[1] << 8), elen = (uint16_t)(e[2] | e[3] << 8);
        if (elen < 4 || off + elen > len)
            break;
        if (type == DMAR_DRHD && elen >= 16 && acpi.drhd_count < LK_MAX_DRHDS)
            acpi.drhds[acpi.drhd_count++] = rd64(e + 8);
        off += elen;
    }
}

/* AMD-Vi (AMD IOMMU spec 5.2): IVHD blocks (types 0x10, 0x11, 0x40) from
 * offset 48, u8 type, u16 length at +2, the unit's MMIO base at +8. */
static void parse_ivrs(void)
{
    uint32_t len = rd32(table_buf + 4);
    for (uint32_t off = IVRS_BLOCKS; off + 4 <= len;) {
        const uint8_t *e = table_buf + off;
        uint16_t elen = (uint16_t)(e[2] | e[3] << 8);
        if (elen < 4 || off + elen > len)
            break;
        if ((e[0] == 0x10 || e[0] == 0x11 || e[0] == 0x40) && elen >= 16 && acpi.amdvi_count < LK_MAX_DRHDS)
            acpi.amdvis[acpi.amdvi_count++] = rd64(e + 8);
        off += elen;
    }
}

static void parse_acpi(void)
{
    uint8_t rsdp[36];
    uint64_t pa = lk_rsdp_phys();
    if (!pa || lk_window_init() || lk_phys_copy(rsdp, pa, sizeof rsdp) || memcmp(rsdp, "RSD PTR ", 8))
        return;
    int xsdt = rsdp[15] >= RSDP_XSDT_REV;
    uint64_t root = xsdt ? rd64(rsdp + 24) : rd32(rsdp + 16);
    if (load_table(root))
        return;
    uint32_t n = (rd32(table_buf + 4) - SDT_HEADER) / (xsdt ? 8 : 4);
    uint64_t entries[64];
    if (n > 64)
        n = 64;
    for (uint32_t i = 0; i < n; i++)
        entries[i] = xsdt ? rd64(table_buf + SDT_HEADER + 8 * i) : rd32(table_buf + SDT_HEADER + 4 * i);
    for (uint32_t i = 0; i < n; i++) {
        if (load_table(entries[i]))
            continue;
        if (!memcmp(table_buf, "APIC", 4)) {
            parse_madt();
            acpi.valid = 1;
        }
        if (!memcmp(table_buf, "DMAR", 4))
            parse_dmar();
        if (!memcmp(table_buf, "IVRS", 4))
            parse_ivrs();
    }
}

const struct lk_acpi *lk_acpi(void)
{
    if (!acpi_parsed) {
        acpi_parsed = 1;
        parse_acpi();
    }
    return &acpi;
}

uint32_t lk_lapic_read(uint32_t reg)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if (base & APIC_BASE_EXTD)
        return (uint32_t)rdmsr(MSR_X2APIC_BASE + (reg >> 4));
    volatile const uint32_t *p = lk_window(LK_SLOT_LAPIC, (base & LAPIC_BASE_MASK) + reg, 1);
    return p ? *p : 0xffffffffu;
}

uint32_t lk_lapic_id(void)
{
    uint32_t id = lk_lapic_read(LAPIC_REG_ID);
    return (rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD) ? id : id >> 24;
}
