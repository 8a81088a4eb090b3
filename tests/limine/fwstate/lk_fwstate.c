/* lk-fwstate.efi: a UEFI application that plays a firmware leaving state
 * behind for the loader, then starts Pagoda's loader
 * (\EFI\pagoda\loader.efi on the same volume) and returns what it returns.
 * tests/limine/limine-tests.sh boots it as BOOTX64.EFI for the cases that
 * need such a firmware, which OVMF is not:
 *   - the BSP's MTRRs changed after the firmware set up the APs (a spare
 *     variable range made write-through over one page of RAM it owns), so
 *     the APs' MTRRs differ from the BSP's until the loader copies them;
 *   - every Intel VT-d unit of the DMAR with DMA translation (pass-through
 *     context entries for every bus, so that the firmware's own DMA keeps
 *     working), queued invalidation and interrupt remapping on (an
 *     interrupt remapping table with no valid entry);
 *   - every AMD-Vi unit of the IVRS enabled with its command buffer and
 *     event log running (a device table of bus 0 with no valid entry, which
 *     lets DMA through untranslated).
 * Each step prints one line on the console (serial under run.sh). */
#include <efi.h>
#include <efilib.h>

#include "x86/amdvi.h"
#include "x86/cpu.h"
#include "x86/mtrr.h"
#include "x86/vtd.h"

#define MTRR_TYPE_WT        4
#define CPUID_ADDR_SIZES    0x80000008u   /* EAX[7:0]: physical address bits */
#define PAGE                4096u

static uint64_t phys_mask(void)
{
    unsigned bits = cpuid(CPUID_EXT_MAX, 0).eax >= CPUID_ADDR_SIZES ? (cpuid(CPUID_ADDR_SIZES, 0).eax & 0xFF) : 36;
    return ((1ULL << bits) - 1) & ~(uint64_t)(PAGE - 1);
}

static EFI_STATUS alloc_page(EFI_PHYSICAL_ADDRESS *pa)
{
    EFI_STATUS st = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiBootServicesData, 1, pa);
    if (!EFI_ERROR(st))
        ZeroMem((void *)(uintptr_t)*pa, PAGE);
    return st;
}

/* The first unused variable MTRR covers one page of RAM as write-through
 * on the BSP only. */
static void perturb_bsp_mtrrs(void)
{
    static struct mtrr_state s;
    EFI_PHYSICAL_ADDRESS page = 0xFFFFFFFF;

    mtrr_state_read(&s);
    if (!s.present || alloc_page(&page)) {
        Print(L"lk-fwstate: no MTRRs or no page: BSP MTRRs unchanged\n");
        return;
    }
    for (unsigned i = 0; i < s.nvar; i++) {
        if (s.var[2 * i + 1] & MTRR_PHYSMASK_VALID)
            continue;
        s.var[2 * i] = page | MTRR_TYPE_WT;
        s.var[2 * i + 1] = phys_mask() | MTRR_PHYSMASK_VALID;
        uint64_t flags = cpu_irq_save();
        mtrr_state_write(&s, NULL);
        cpu_irq_restore(flags);
        Print(L"lk-fwstate: BSP variable MTRR %u = WT over 0x%lx (the APs keep the firmware's)\n", i, page);
        return;
    }
    Print(L"lk-fwstate: no free variable MTRR: BSP MTRRs unchanged\n");
}

static uint32_t rd32(uint64_t pa) { return *(volatile uint32_t *)(uintptr_t)pa; }
static void wr32(uint64_t pa, uint32_t v) { *(volatile uint32_t *)(uintptr_t)pa = v; }
static void wr64(uint64_t pa, uint64_t v) { *(volatile uint64_t *)(uintptr_t)pa = v; }

/* GCMD gets GSTS's persistent bits plus one (VT-d 11.4.4); then GSTS is
 * polled until it shows it. */
static int vtd_command(uint64_t base, uint32_t cmd, uint32_t status)
{
    uint32_t sts = rd32(base + VTD_GSTS);
    wr32(base + VTD_GCMD, (sts & VTD_GCMD_PERSISTENT) | cmd);
    for (unsigned i = 0; i < 1000000; i++)
        if (rd32(base + VTD_GSTS) & status)
            return 0;
    return -1;
}

/* One unit: root table -> one context table whose 256 entries pass DMA
 * through (domain 1, the largest supported AGAW), translation on; an empty
 * invalidation queue, queued invalidation on; a 256-entry interrupt
 * remapping table with no present entry, remapping on. */
static void vtd_enable(uint64_t base)
{
    EFI_PHYSICAL_ADDRESS root = 0xFFFFFFFF, ctx = 0xFFFFFFFF, iq = 0xFFFFFFFF, irt = 0xFFFFFFFF;
    uint64_t ecap = *(volatile uint64_t *)(uintptr_t)(base + VTD_ECAP);
    uint64_t cap = *(volatile uint64_t *)(uintptr_t)(base + VTD_CAP);
    unsigned agaw = 0;

    if (alloc_page(&root) || alloc_page(&ctx) || alloc_page(&iq) || alloc_page(&irt)) {
        Print(L"lk-fwstate: VT-d 0x%lx: no memory\n", base);
        return;
    }
    for (unsigned a = 0; a < 5; a++)
        if (VTD_CAP_SAGAW(cap) & (1u << a))
            agaw = a;
    uint64_t *re = (uint64_t *)(uintptr_t)root, *ce = (uint64_t *)(uintptr_t)ctx;
    for (unsigned bus = 0; bus < 256; bus++)
        re[2 * bus] = ctx | VTD_PRESENT;
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        ce[2 * devfn] = VTD_PRESENT | VTD_CTX_TT_PASS_THROUGH;
        ce[2 * devfn + 1] = agaw | ((uint64_t)VTD_DOMAIN << VTD_CTX_DID_SHIFT);
    }
    __asm__ volatile("wbinvd" ::: "memory");
    int bad = !(ecap & VTD_ECAP_PT);
    wr64(base + VTD_RTADDR, root);
    bad |= vtd_command(base, VTD_GCMD_SRTP, VTD_GSTS_RTPS);
    bad |= vtd_command(base, VTD_GCMD_TE, VTD_GSTS_TES);
    if (ecap & VTD_ECAP_QI) {
        wr64(base + VTD_IQT, 0);
        wr64(base + VTD_IQA, iq);
        bad |= vtd_command(base, VTD_GCMD_QIE, VTD_GSTS_QIES);
    }
    if (ecap & VTD_ECAP_IR) {
        wr64(base + VTD_IRTA, irt | VTD_IRTA_SIZE_256);
        bad |= vtd_command(base, VTD_GCMD_SIRTP, VTD_GSTS_IRTPS);
        bad |= vtd_command(base, VTD_GCMD_IRE, VTD_GSTS_IRES);
    }
    Print(L"lk-fwstate: VT-d 0x%lx: gsts=0x%x%s\n", base, rd32(base + VTD_GSTS), bad ? L" (a step failed)" : L"");
}

#define AMDVI_DEV_TABLE_PAGES 2     /* 256 entries of 32 bytes: bus 0 */
#define AMDVI_LOG_LEN        8      /* 2^8 entries of 16 bytes: one page */

static void amdvi_enable(uint64_t base)
{
    EFI_PHYSICAL_ADDRESS dev = 0xFFFFFFFF, cmd = 0xFFFFFFFF, evt = 0xFFFFFFFF;

    if (uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress, EfiBootServicesData, AMDVI_DEV_TABLE_PAGES,
                          &dev) ||
        alloc_page(&cmd) || alloc_page(&evt)) {
        Print(L"lk-fwstate: AMD-Vi 0x%lx: no memory\n", base);
        return;
    }
    ZeroMem((void *)(uintptr_t)dev, AMDVI_DEV_TABLE_PAGES * PAGE);
    wr64(base + AMDVI_DEV_TABLE, dev | (AMDVI_DEV_TABLE_PAGES - 1));
    wr64(base + AMDVI_CMD_BUF, cmd | ((uint64_t)AMDVI_LOG_LEN << AMDVI_LEN_SHIFT));
    wr64(base + AMDVI_EVT_LOG, evt | ((uint64_t)AMDVI_LOG_LEN << AMDVI_LEN_SHIFT));
    wr64(base + AMDVI_CONTROL, *(volatile uint64_t *)(uintptr_t)(base + AMDVI_CONTROL) | AMDVI_CTL_IOMMU_EN |
                                   AMDVI_CTL_CMD_BUF_EN | AMDVI_CTL_EVT_LOG_EN);
    Print(L"lk-fwstate: AMD-Vi 0x%lx: control=0x%lx status=0x%lx\n", base,
          *(volatile uint64_t *)(uintptr_t)(base + AMDVI_CONTROL), *(volatile uint64_t *)(uintptr_t)(base + AMDVI_STATUS));
}

/* Every DRHD of the DMAR and IVHD of the IVRS (RSDP from the configuration
 * table, XSDT). */
static void enable_iommus(void)
{
    EFI_GUID acpi20 = ACPI_20_TABLE_GUID;
    uint8_t *rsdp = NULL;

    for (UINTN i = 0; i < ST->NumberOfTableEntries; i++)
        if (!CompareGuid(&ST->ConfigurationTable[i].VendorGuid, &acpi20))
            rsdp = ST->ConfigurationTable[i].VendorTable;
    if (!rsdp)
        return;
    uint8_t *xsdt = (uint8_t *)(uintptr_t)*(uint64_t *)(rsdp + 24);
    uint32_t xlen = *(uint32_t *)(xsdt + 4);
    for (uint32_t off = 36; off + 8 <= xlen; off += 8) {
        uint8_t *t = (uint8_t *)(uintptr_t)*(uint64_t *)(xsdt + off);
        uint32_t len = *(uint32_t *)(t + 4);
        for (uint32_t b = IVRS_BLOCKS; !CompareMem(t, "IVRS", 4) && b + 16 <= len;) {
            uint8_t type = t[b];
            uint16_t blen = *(uint16_t *)(t + b + 2);
            if (blen < 4)
                break;
            if (type == IVHD_TYPE_10 || type == IVHD_TYPE_11 || type == IVHD_TYPE_40)
                amdvi_enable(*(uint64_t *)(t + b + IVHD_BASE));
            b += blen;
        }
        if (CompareMem(t, "DMAR", 4))
            continue;
        for (uint32_t s = 48; s + 16 <= len;) {
            uint16_t type = *(uint16_t *)(t + s), slen = *(uint16_t *)(t + s + 2);
            if (slen < 4)
                break;
            if (type == 0)
                vtd_enable(*(uint64_t *)(t + s + 8));
            s += slen;
        }
    }
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    EFI_LOADED_IMAGE *li;
    EFI_HANDLE child;
    EFI_STATUS st;

    InitializeLib(image, systab);
    perturb_bsp_mtrrs();
    enable_iommus();
    st = uefi_call_wrapper(BS->HandleProtocol, 3, image, &LoadedImageProtocol, (void **)&li);
    if (EFI_ERROR(st))
        return st;
    EFI_DEVICE_PATH *dp = FileDevicePath(li->DeviceHandle, L"\\EFI\\pagoda\\loader.efi");
    st = uefi_call_wrapper(BS->LoadImage, 6, FALSE, image, dp, NULL, 0, &child);
    if (EFI_ERROR(st)) {
        Print(L"lk-fwstate: cannot load \\EFI\\pagoda\\loader.efi: %r\n", st);
        return st;
    }
    return uefi_call_wrapper(BS->StartImage, 3, child, NULL, NULL);
}
