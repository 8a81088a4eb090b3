/* Firmware-table checks: RSDP and SMBIOS entry points (signatures and
 * checksums read through the private window from the physical address, and
 * through the HHDM where the revision maps them), the EFI system table
 * (signature; its configuration table must point at the same RSDP and SMBIOS
 * entry points the other responses give), physical vs HHDM pointers per
 * base revision. */
#include "lk_kernel.h"

#define RSDP_V1_LEN 20
#define RSDP_REV2 2
#define SMBIOS2_LEN_AT 5
#define SMBIOS3_LEN_AT 6
#define SMBIOS3_TABLE_MAX_AT 0x0c
#define SMBIOS3_TABLE_AT 0x10
#define EFI_SYSTAB_SIGNATURE 0x5453595320494249UL   /* "IBI SYST" */
#define EFI_SYSTAB_RUNTIME_AT 88
#define EFI_SYSTAB_NTABLES_AT 104
#define EFI_SYSTAB_TABLES_AT 112
#define EFI_SYSTAB_MIN 120
#define EFI_CONFIG_ENTRY 24
#define MAX_CONFIG_TABLES 64

static const uint8_t guid_acpi20[16] = { 0x71, 0xe8, 0x68, 0x88, 0xf1, 0xe4, 0xd3, 0x11,
                                         0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 };
static const uint8_t guid_smbios[16] = { 0x31, 0x2d, 0x9d, 0xeb, 0x88, 0x2d, 0xd3, 0x11,
                                         0x9a, 0x16, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d };
static const uint8_t guid_smbios3[16] = { 0x44, 0x15, 0xfd, 0xf2, 0x94, 0x97, 0x2c, 0x4a,
                                          0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94 };

/* Physical address behind a response pointer: physical at the revisions
 * listed, an HHDM pointer otherwise. Returns 0 and sets *why when the
 * pointer is of the wrong kind. */
static uint64_t to_phys(uint64_t ptr, int physical, const char **why)
{
    if (physical) {
        if (ptr >= lk_hhdm() && lk_hhdm()) {
            *why = "an HHDM pointer where this revision returns a physical address";
            return 0;
        }
        return ptr;
    }
    if (!lk_is_hhdm_ptr((const void *)ptr)) {
        *why = "not an HHDM pointer at this revision";
        return 0;
    }
    return lk_virt_to_phys_hint(ptr);
}

/* Memory-map promises are checked when there is a map (without one, the
 * memmap check already reports it missing). */
static int map_covers(uint64_t base, uint64_t len, uint32_t mask)
{
    return !lk_req_memmap.response || lk_memmap_covers(base, len, mask);
}

static int hhdm_same(uint64_t pa, const void *copy, size_t len)
{
    return lk_hhdm() && !memcmp((const void *)(lk_hhdm() + pa), copy, len);
}

void lk_check_rsdp(void)
{
    CHECK("rsdp");
    const struct lk_address_resp *r = lk_req_rsdp.response;
    NEED(r);
    const char *why = NULL;
    uint64_t pa = to_phys(r->address, LK_BASE_REVISION == 3, &why);
    EXPECT(pa, "address %lx: %s", r->address, why ? why : "null");
    uint8_t rsdp[36];
    EXPECT(lk_window_init() == 0 && lk_phys_copy(rsdp, pa, sizeof rsdp) == 0, "cannot read phys %lx", pa);
    EXPECT(!memcmp(rsdp, "RSD PTR ", 8), "no 'RSD PTR ' at phys %lx", pa);
    EXPECT(lk_sum8(rsdp, RSDP_V1_LEN) == 0, "ACPI 1.0 checksum wrong");
    if (rsdp[15] >= RSDP_REV2) {
        uint32_t len;
        memcpy(&len, rsdp + 20, 4);
        EXPECT(len == sizeof rsdp, "RSDP length %u (want 36)", len);
        EXPECT(lk_sum8(rsdp, len) == 0, "extended checksum wrong");
    }
    if (LK_BASE_REVISION >= 4) {
        EXPECT(map_covers(pa, sizeof rsdp, TYPE_BIT(LK_MEM_ACPI_RECLAIM) | TYPE_BIT(LK_MEM_ACPI_NVS) |
                                                    TYPE_BIT(LK_MEM_RESERVED_MAPPED)),
               "revision 4+: RSDP at %lx not in an ACPI or reserved-mapped entry", pa);
        EXPECT(hhdm_same(pa, rsdp, sizeof rsdp), "revision 4+: RSDP not readable through the HHDM");
    }
    PASS("phys=%lx rev=%u checksums ok", pa, rsdp[15]);
}

static const char *smbios_problem(uint64_t pa, int is64)
{
    uint8_t ep[32];
    if (lk_phys_copy(ep, pa, sizeof ep))
        return "unreadable";
    if (memcmp(ep, is64 ? "_SM3_" : "_SM_", is64 ? 5 : 4))
        return is64 ? "no _SM3_ anchor" : "no _SM_ anchor";
    uint8_t len = ep[is64 ? SMBIOS3_LEN_AT : SMBIOS2_LEN_AT];
    if (len < 0x18 || len > sizeof ep || lk_sum8(ep, len))
        return "entry point checksum wrong";
    if (LK_BASE_REVISION >= 5) {
        if (!map_covers(pa, len, TYPE_BIT(LK_MEM_RESERVED_MAPPED)) || !hhdm_same(pa, ep, len))
            return "revision 5+: entry point not reserved-mapped in the HHDM";
        if (is64) {
            uint32_t max;
            uint64_t table;
            memcpy(&max, ep + SMBIOS3_TABLE_MAX_AT, 4);
            memcpy(&table, ep + SMBIOS3_TABLE_AT, 8);
            if (!map_covers(table, max ? max : 1, TYPE_BIT(LK_MEM_RESERVED_MAPPED)))
                return "revision 5+: structure table not reserved-mapped";
        }
    }
    return NULL;
}

void lk_check_smbios(void)
{
    CHECK("smbios");
    const struct lk_smbios_resp *r = lk_req_smbios.response;
    NEED(r);
    EXPECT(r->entry_32 || r->entry_64, "both entry points NULL");
    EXPECT(lk_window_init() == 0, "no private window (no HHDM)");
    int physical = LK_BASE_REVISION == 3 || LK_BASE_REVISION == 4;
    const char *why = NULL;
    uint64_t e32 = 0, e64 = 0;
    if (r->entry_32) {
        e32 = to_phys(r->entry_32, physical, &why);
        EXPECT(e32, "entry_32 %lx: %s", r->entry_32, why);
        why = smbios_problem(e32, 0);
        EXPECT(!why, "entry_32 at %lx: %s", e32, why);
    }
    if (r->entry_64) {
        e64 = to_phys(r->entry_64, physical, &why);
        EXPECT(e64, "entry_64 %lx: %s", r->entry_64, why);
        why = smbios_problem(e64, 1);
        EXPECT(!why, "entry_64 at %lx: %s", e64, why);
    }
    PASS("entry_32=%lx entry_64=%lx checksums ok", e32, e64);
}

static uint64_t config_table(uint64_t systab_pa, const uint8_t guid[16])
{
    uint8_t st[EFI_SYSTAB_MIN];
    if (lk_phys_copy(st, systab_pa, sizeof st))
        return 0;
    uint64_t n, tables;
    memcpy(&n, st + EFI_SYSTAB_NTABLES_AT, 8);
    memcpy(&tables, st + EFI_SYSTAB_TABLES_AT, 8);
    for (uint64_t i = 0; i < n && i < MAX_CONFIG_TABLES; i++) {
        uint8_t e[EFI_CONFIG_ENTRY];
        if (lk_phys_copy(e, tables + i * EFI_CONFIG_ENTRY, sizeof e))
            return 0;
        if (!memcmp(e, guid, 16)) {
            uint64_t p;
            memcpy(&p, e + 16, 8);
            return p;
        }
    }
    return 0;
}

void lk_check_efi_system_table(void)
{
    CHECK("efi_system_table");
    const struct lk_address_resp *r = lk_req_systab.response;
    NEED(r);
    const char *why = NULL;
    uint64_t pa = to_phys(r->address, LK_BASE_REVISION == 3 || LK_BASE_REVISION == 4, &why);
    EXPECT(pa, "address %lx: %s", r->address, why ? why : "null");
    uint8_t st[EFI_SYSTAB_MIN];
    EXPECT(lk_window_init() == 0 && lk_phys_copy(st, pa, sizeof st) == 0, "cannot read phys %lx", pa);
    uint64_t sig;
    uint32_t hdr_size;
    memcpy(&sig, st, 8);
    memcpy(&hdr_size, st + 12, 4);
    EXPECT(sig == EFI_SYSTAB_SIGNATURE, "signature %lx", sig);
    EXPECT(hdr_size >= EFI_SYSTAB_MIN, "header size %u", hdr_size);
    uint64_t rsdp = config_table(pa, guid_acpi20);
    EXPECT(!lk_rsdp_phys() || rsdp == lk_rsdp_phys(), "ACPI 2.0 table %lx, the RSDP response says %lx", rsdp, lk_rsdp_phys());
    const struct lk_smbios_resp *sm = lk_req_smbios.response;
    if (sm) {
        int physical = LK_BASE_REVISION == 3 || LK_BASE_REVISION == 4;
        uint64_t e64 = sm->entry_64 ? (physical ? sm->entry_64 : lk_virt_to_phys_hint(sm->entry_64)) : 0;
        uint64_t e32 = sm->entry_32 ? (physical ? sm->entry_32 : lk_virt_to_phys_hint(sm->entry_32)) : 0;
        EXPECT(e64 == config_table(pa, guid_smbios3), "SMBIOS3 table %lx, the response says %lx",
               config_table(pa, guid_smbios3), e64);
        EXPECT(e32 == config_table(pa, guid_smbios), "SMBIOS table %lx, the response says %lx",
               config_table(pa, guid_smbios), e32);
    }
    if (LK_BASE_REVISION >= 5) {
        uint64_t rt, tables, n;
        memcpy(&rt, st + EFI_SYSTAB_RUNTIME_AT, 8);
        memcpy(&n, st + EFI_SYSTAB_NTABLES_AT, 8);
        memcpy(&tables, st + EFI_SYSTAB_TABLES_AT, 8);
        uint32_t rm = TYPE_BIT(LK_MEM_RESERVED_MAPPED);
        EXPECT(map_covers(pa, hdr_size, rm) && hhdm_same(pa, st, sizeof st),
               "revision 5+: system table not reserved-mapped in the HHDM");
        EXPECT(map_covers(rt, 24, rm), "revision 5+: runtime services table %lx not reserved-mapped", rt);
        EXPECT(map_covers(tables, n * EFI_CONFIG_ENTRY, rm), "revision 5+: configuration tables not reserved-mapped");
    }
    PASS("phys=%lx signature ok, configuration table agrees with rsdp/smbios", pa);
}
