/* Firmware tables for the Limine responses, read while boot services run:
 * the RSDP, the SMBIOS entry points (EFI configuration table), the byte
 * ranges of every ACPI table, SMBIOS structure and EFI table the memory map
 * must show as mapped at revisions 4 and 5+ (limine_memmap_build), the I/O
 * APICs of the MADT (masked at entry) and its enabled processors (the MP
 * response), the DMAR's flags and VT-d units (x2APIC opt-out; the IOMMUs
 * revision 5+ wants off), the IVRS's AMD-Vi units, and the boot date. The ACPI walk
 * trusts lengths only up to ACPI_TABLE_MAX and never follows a table it
 * cannot fit in the range list. */
#include <string.h>

#include "limine.h"
#include "unix_time.h"
#include "x86/amdvi.h"

#define ACPI_TABLE_MAX      (1 * MiB)    /* a larger length is firmware garbage */
#define ACPI_HDR_LEN        36           /* ACPI 6.5, 5.2.6: standard header */
#define RSDP_V1_LEN         20
#define RSDP_REVISION       15           /* byte: 0 = ACPI 1.0 (RSDT only) */
#define RSDP_LENGTH         20           /* u32, revision 2+ */
#define RSDP_RSDT           16           /* u32 */
#define RSDP_XSDT           24           /* u64 */
#define FADT_FACS           36           /* u32 */
#define FADT_DSDT           40           /* u32 */
#define FADT_X_FACS         132          /* u64, if the FADT is long enough */
#define FADT_X_DSDT         140          /* u64 */
#define MADT_ENTRIES        44
#define MADT_IOAPIC         1            /* entry type; address at +4 */
#define MADT_LAPIC          0            /* UID u8 at +2, APIC ID u8 at +3, flags u32 at +4 */
#define MADT_X2APIC         9            /* x2APIC ID u32 at +4, flags at +8, UID u32 at +12 */
#define MADT_CPU_ENABLED    1u           /* flags bit 0 */
#define DMAR_FLAGS          37           /* u8 */
#define DMAR_STRUCTS        48           /* remapping structures: u16 type, u16 length */
#define DMAR_DRHD           0            /* structure type; register base u64 at +8 */
#define DMAR_DRHD_BASE      8
#define SMBIOS32_LEN        5            /* u8: entry point length */
#define SMBIOS32_TABLE_LEN  0x16         /* u16 */
#define SMBIOS32_TABLE      0x18         /* u32 */
#define SMBIOS64_LEN        6            /* u8 */
#define SMBIOS64_TABLE_MAX  0x0C         /* u32 */
#define SMBIOS64_TABLE      0x10         /* u64 */

static uint32_t rd32(paddr_t pa) { uint32_t v; memcpy(&v, (const void *)(uintptr_t)pa, 4); return v; }
static uint64_t rd64(paddr_t pa) { uint64_t v; memcpy(&v, (const void *)(uintptr_t)pa, 8); return v; }
static uint8_t rd8(paddr_t pa) { return *(const uint8_t *)(uintptr_t)pa; }

static void add_range(struct limine_tables *t, paddr_t base, uint64_t len, enum limine_table_class cls)
{
    if (!base || !len || t->nranges == LIMINE_TABLES_MAX)
        return;   /* the list only widens what is mapped; a full list keeps the firmware's types */
    t->ranges[t->nranges++] = (struct limine_table_range){ .base = base, .length = len, .cls = cls };
}

/* A table's length from its header, 0 if implausible. */
static uint32_t table_len(paddr_t pa)
{
    uint32_t len = pa ? rd32(pa + 4) : 0;

    return len >= ACPI_HDR_LEN && len <= ACPI_TABLE_MAX ? len : 0;
}

/* cpus == NULL: count only (the list is sized from the count). */
static void add_cpu(struct limine_tables *t, struct limine_madt_cpu *cpus, uint32_t uid, uint32_t apic_id)
{
    if (cpus)
        cpus[t->ncpus] = (struct limine_madt_cpu){ .uid = uid, .apic_id = apic_id };
    t->ncpus++;
}

/* The MADT's enabled processors, into a list sized by a first pass (no
 * fixed limit); only the first MADT's. */
static void walk_madt_cpus(struct limine_tables *t, paddr_t madt, uint32_t len, struct limine_madt_cpu *cpus)
{
    t->ncpus = 0;
    for (uint32_t off = MADT_ENTRIES; off + 2 <= len;) {
        uint8_t type = rd8(madt + off), elen = rd8(madt + off + 1);
        if (elen < 2 || off + elen > len)
            return;
        if (type == MADT_LAPIC && elen >= 8 && (rd32(madt + off + 4) & MADT_CPU_ENABLED))
            add_cpu(t, cpus, rd8(madt + off + 2), rd8(madt + off + 3));
        if (type == MADT_X2APIC && elen >= 16 && (rd32(madt + off + 8) & MADT_CPU_ENABLED))
            add_cpu(t, cpus, rd32(madt + off + 12), rd32(madt + off + 4));
        off += elen;
    }
}

static void find_madt_cpus(struct limine_tables *t, paddr_t madt, uint32_t len)
{
    void *cpus;

    if (t->cpus)
        return;
    walk_madt_cpus(t, madt, len, NULL);
    if (t->ncpus == 0)
        return;
    if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, t->ncpus * sizeof(*t->cpus), &cpus))) {
        t->ncpus = 0;
        t->cpus_truncated = true;
        return;
    }
    t->cpus = cpus;
    walk_madt_cpus(t, madt, len, t->cpus);
}

static void walk_madt(struct limine_tables *t, paddr_t madt, uint32_t len)
{
    find_madt_cpus(t, madt, len);
    for (uint32_t off = MADT_ENTRIES; off + 2 <= len;) {
        uint8_t type = rd8(madt + off), elen = rd8(madt + off + 1);
        if (elen < 2 || off + elen > len)
            return;
        if (type == MADT_IOAPIC && elen >= 12 && t->nioapics < LIMINE_IOAPICS_MAX)
            t->ioapics[t->nioapics++] = rd32(madt + off + 4);
        off += elen;
    }
}

/* The DMAR's flags and every VT-d unit's register base (Intel VT-d 3.x,
 * 8.1 and 8.3). */
static void walk_dmar(struct limine_tables *t, paddr_t dmar, uint32_t len)
{
    if (len < DMAR_STRUCTS)
        return;
    t->dmar = true;
    t->dmar_flags = rd8(dmar + DMAR_FLAGS);
    for (uint32_t off = DMAR_STRUCTS; off + 4 <= len;) {
        uint16_t type = *(const uint16_t *)(uintptr_t)(dmar + off);
        uint16_t slen = *(const uint16_t *)(uintptr_t)(dmar + off + 2);
        if (slen < 4 || off + slen > len)
            return;
        if (type == DMAR_DRHD && slen >= DMAR_DRHD_BASE + 8 && t->ndrhds < LIMINE_DRHDS_MAX)
            t->drhds[t->ndrhds++] = rd64(dmar + off + DMAR_DRHD_BASE);
        off += slen;
    }
}

/* Every AMD-Vi unit's MMIO base (IVHD blocks of the IVRS). */
static void walk_ivrs(struct limine_tables *t, paddr_t ivrs, uint32_t len)
{
    for (uint32_t off = IVRS_BLOCKS; off + 4 <= len;) {
        uint8_t type = rd8(ivrs + off);
        uint16_t blen = *(const uint16_t *)(uintptr_t)(ivrs + off + 2);
        if (blen < 4 || off + blen > len)
            return;
        if ((type == IVHD_TYPE_10 || type == IVHD_TYPE_11 || type == IVHD_TYPE_40) &&
            blen >= IVHD_BASE + 8 && t->namdvis < LIMINE_AMDVIS_MAX)
            t->amdvis[t->namdvis++] = rd64(ivrs + off + IVHD_BASE);
        off += blen;
    }
}

static void add_table(struct limine_tables *t, paddr_t pa)
{
    uint32_t len = table_len(pa);

    if (!len)
        return;
    add_range(t, pa, len, LIMINE_TC_ACPI);
    if (!memcmp((const void *)(uintptr_t)pa, "APIC", 4))
        walk_madt(t, pa, len);
    if (!memcmp((const void *)(uintptr_t)pa, "DMAR", 4))
        walk_dmar(t, pa, len);
    if (!memcmp((const void *)(uintptr_t)pa, "IVRS", 4))
        walk_ivrs(t, pa, len);
    if (!memcmp((const void *)(uintptr_t)pa, "FACP", 4)) {
        paddr_t dsdt = len >= FADT_X_DSDT + 8 && rd64(pa + FADT_X_DSDT) ? rd64(pa + FADT_X_DSDT)
                                                                         : rd32(pa + FADT_DSDT);
        paddr_t facs = len >= FADT_X_FACS + 8 && rd64(pa + FADT_X_FACS) ? rd64(pa + FADT_X_FACS)
                                                                         : rd32(pa + FADT_FACS);
        add_range(t, dsdt, table_len(dsdt), LIMINE_TC_ACPI);
        if (facs)   /* the FACS has no standard header: its length is at +4 all the same */
            add_range(t, facs, rd32(facs + 4) <= ACPI_TABLE_MAX ? rd32(facs + 4) : 0, LIMINE_TC_ACPI);
    }
}

static void walk_acpi(struct limine_tables *t)
{
    paddr_t rsdp = t->rsdp;
    bool xsdt = rd8(rsdp + RSDP_REVISION) >= 2 && rd64(rsdp + RSDP_XSDT);
    paddr_t root = xsdt ? rd64(rsdp + RSDP_XSDT) : rd32(rsdp + RSDP_RSDT);
    uint32_t entry = xsdt ? 8 : 4, len = table_len(root);

    add_range(t, rsdp, rd8(rsdp + RSDP_REVISION) >= 2 ? rd32(rsdp + RSDP_LENGTH) : RSDP_V1_LEN, LIMINE_TC_ACPI);
    add_range(t, root, len, LIMINE_TC_ACPI);
    for (uint32_t off = ACPI_HDR_LEN; len && off + entry <= len; off += entry)
        add_table(t, entry == 8 ? rd64(root + off) : rd32(root + off));
}

static void find_smbios(struct limine_tables *t)
{
    EFI_GUID g32 = SMBIOS_TABLE_GUID, g64 = SMBIOS3_TABLE_GUID;

    for (UINTN i = 0; i < ST->NumberOfTableEntries; i++) {
        EFI_CONFIGURATION_TABLE *c = &ST->ConfigurationTable[i];
        if (CompareGuid(&c->VendorGuid, &g32) == 0)
            t->smbios32 = (paddr_t)(uintptr_t)c->VendorTable;
        if (CompareGuid(&c->VendorGuid, &g64) == 0)
            t->smbios64 = (paddr_t)(uintptr_t)c->VendorTable;
    }
    if (t->smbios32) {
        add_range(t, t->smbios32, rd8(t->smbios32 + SMBIOS32_LEN), LIMINE_TC_SMBIOS);
        add_range(t, rd32(t->smbios32 + SMBIOS32_TABLE), *(const uint16_t *)(uintptr_t)(t->smbios32 + SMBIOS32_TABLE_LEN),
                  LIMINE_TC_SMBIOS);
    }
    if (t->smbios64) {
        add_range(t, t->smbios64, rd8(t->smbios64 + SMBIOS64_LEN), LIMINE_TC_SMBIOS);
        add_range(t, rd64(t->smbios64 + SMBIOS64_TABLE), rd32(t->smbios64 + SMBIOS64_TABLE_MAX), LIMINE_TC_SMBIOS);
    }
}

/* The EFI system table, the runtime services table and the configuration
 * table array (the boot services table dies with the exit). */
static void efi_ranges(struct limine_tables *t)
{
    add_range(t, (paddr_t)(uintptr_t)ST, ST->Hdr.HeaderSize, LIMINE_TC_EFI);
    add_range(t, (paddr_t)(uintptr_t)ST->RuntimeServices, ST->RuntimeServices->Hdr.HeaderSize, LIMINE_TC_EFI);
    add_range(t, (paddr_t)(uintptr_t)ST->ConfigurationTable,
              ST->NumberOfTableEntries * sizeof(EFI_CONFIGURATION_TABLE), LIMINE_TC_EFI);
}

void limine_tables_find(struct limine_tables *t)
{
    memset(t, 0, sizeof(*t));
    t->rsdp = platform_find_rsdp();
    if (t->rsdp)
        walk_acpi(t);
    find_smbios(t);
    efi_ranges(t);
}

EFI_STATUS limine_boot_date(int64_t *out)
{
    EFI_TIME now;
    EFI_STATUS st = uefi_call_wrapper(RT->GetTime, 2, &now, NULL);

    if (EFI_ERROR(st)) {
        con_printf("pagoda: limine: GetTime: %s; no date-at-boot response\n", efi_status_str(st));
        return st;
    }
    struct unix_time_date d = { .year = now.Year, .month = now.Month, .day = now.Day, .hour = now.Hour,
                                .minute = now.Minute, .second = now.Second, .tz_minutes = now.TimeZone };
    if (unix_time_from_date(&d, out) < 0) {
        con_printf("pagoda: limine: the firmware clock reads %u-%u-%u %u:%u:%u; no date-at-boot response\n",
                   now.Year, now.Month, now.Day, now.Hour, now.Minute, now.Second);
        return EFI_DEVICE_ERROR;
    }
    return EFI_SUCCESS;
}
