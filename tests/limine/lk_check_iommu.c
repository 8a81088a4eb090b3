/* The IOMMU check (revision 5+): "all Intel VT-d IOMMUs have DMA
 * translation and interrupt remapping disabled, and all AMD-Vi IOMMUs are
 * disabled", unless the keep-IOMMU request was answered, in which case the
 * loader leaves them as the firmware did. Each VT-d unit's Global Status
 * register (VT-d 10.4.5) and each AMD-Vi unit's Control register (AMD IOMMU
 * spec 3.3.3, IommuEn = bit 0) is read through the private window,
 * uncached. lk.fwstate=1 on the command line
 * says the boot went through tests/limine/fwstate/, which turns every unit's
 * translation, queued invalidation and interrupt remapping on: a kept unit
 * must still show them, so the check cannot pass on a machine whose units
 * were off anyway. */
#include "lk_kernel.h"
#include "lk_x86.h"

#define VTD_GSTS 0x1c
#define GSTS_TES  (1u << 31)
#define GSTS_QIES (1u << 26)
#define GSTS_IRES (1u << 25)
#define AMDVI_CONTROL 0x18
#define AMDVI_IOMMU_EN (1u << 0)

void lk_check_iommu(void)
{
    CHECK("iommu");
    const struct lk_acpi *a = lk_acpi();
    EXPECT(a->valid && lk_window_init() == 0, "no ACPI tables or no private window");
    const struct lk_exec_cmdline_resp *cl = lk_req_cmdline.response;
    uint64_t fwstate = 0;
    if (cl)
        lk_cmdline_u64(cl->cmdline, "lk.fwstate", &fwstate);
    int keep = lk_req_keep_iommu.response != NULL;
#ifdef LK_KEEP_IOMMU
    NEED(lk_req_keep_iommu.response);
#endif
    uint32_t first = 0;
    for (int i = 0; i < a->drhd_count; i++) {
        volatile const uint32_t *g = lk_window(LK_SLOT_CHECK, a->drhds[i] + VTD_GSTS, 1);
        EXPECT(g, "no window for the VT-d unit at %lx", a->drhds[i]);
        uint32_t gsts = *g;
        if (i == 0)
            first = gsts;
        if (keep)
            EXPECT(!fwstate || (gsts & (GSTS_TES | GSTS_IRES)) == (GSTS_TES | GSTS_IRES),
                   "VT-d %lx: gsts=%x: kept (keep-IOMMU answered) yet translation/remapping off", a->drhds[i], gsts);
        else
            EXPECT(!(gsts & (GSTS_TES | GSTS_IRES | GSTS_QIES)),
                   "VT-d %lx: gsts=%x: translation, remapping or queued invalidation still on", a->drhds[i], gsts);
    }
    uint32_t amd_first = 0;
    for (int i = 0; i < a->amdvi_count; i++) {
        volatile const uint32_t *c = lk_window(LK_SLOT_CHECK, a->amdvis[i] + AMDVI_CONTROL, 1);
        EXPECT(c, "no window for the AMD-Vi unit at %lx", a->amdvis[i]);
        uint32_t ctl = *c;
        if (i == 0)
            amd_first = ctl;
        if (keep)
            EXPECT(!fwstate || (ctl & AMDVI_IOMMU_EN), "AMD-Vi %lx: control=%x: kept yet disabled", a->amdvis[i], ctl);
        else
            EXPECT(!(ctl & AMDVI_IOMMU_EN), "AMD-Vi %lx: control=%x: still enabled", a->amdvis[i], ctl);
    }
    EXPECT(!fwstate || a->drhd_count + a->amdvi_count > 0, "lk.fwstate=1 but no VT-d or AMD-Vi unit is listed");
    PASS("vtd_units=%d gsts0=%x amdvi_units=%d control0=%x keep=%d fwstate=%lu", a->drhd_count, first,
         a->amdvi_count, amd_first, keep, fwstate);
}
