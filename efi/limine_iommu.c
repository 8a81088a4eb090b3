/* Revision 5+: "all Intel VT-d IOMMUs have DMA translation and interrupt
 * remapping disabled" at entry, unless the kernel asks to keep them (the
 * x86-64 keep-IOMMU request). Runs after ExitBootServices, on the
 * firmware's identity map, with every I/O APIC entry already masked (no
 * interrupt is in flight through the remapping hardware).
 *
 * Each unit of the DMAR (limine_tables.c) in this order, each step only
 * when GSTS shows it on: translation off (stale translations stop first),
 * interrupt remapping off, then queued invalidation off (remapping may
 * invalidate through the queue, so the queue goes last). Before QIE is
 * cleared the queue is drained: an Invalidation Wait descriptor with a
 * status write goes in at the tail, and the unit must store the status
 * and reach the tail with its head (VT-d 6.5.2: no invalidation may be
 * pending when the queue is disabled). A GCMD write carries GSTS's other
 * persistent controls (10.4.4) and is done when GSTS reports it.
 *
 * "All AMD-Vi IOMMUs are disabled": each unit of the IVRS first stops the
 * engines that read or write memory (command buffer, event, PPR and GA
 * logs and their interrupts) and waits until the status says none runs,
 * then clears IommuEn. */
#include "limine.h"
#include "x86/amdvi.h"
#include "x86/cpu.h"
#include "x86/vtd.h"

#define WAIT_DONE 0x11D0E   /* the status the wait descriptor makes the unit store */

/* Written by the remapping hardware itself, untranslated: the loader's own
 * data at its physical (identity) address. */
static volatile uint32_t wait_status;

static uint32_t gsts(paddr_t unit)
{
    return *(volatile uint32_t *)(uintptr_t)(unit + VTD_GSTS);
}

static volatile uint64_t *reg64(paddr_t unit, uint32_t off)
{
    return (volatile uint64_t *)(uintptr_t)(unit + off);
}

/* 0 when the unit has done everything queued up to a wait descriptor of
 * our own, -1 when it did not within VTD_POLL_MAX polls. */
static int vtd_drain_queue(paddr_t unit)
{
    uint64_t iqa = *reg64(unit, VTD_IQA);
    uint64_t size = (uint64_t)VTD_IQ_SIZE_QS0 << VTD_IQA_QS(iqa);
    uint64_t step = (iqa & VTD_IQA_DW_256) ? 32 : 16;
    uint64_t tail = *reg64(unit, VTD_IQT) & VTD_IQ_OFFSET_MASK;
    volatile uint64_t *d = (volatile uint64_t *)(uintptr_t)((iqa & VTD_IQA_BASE_MASK) + tail);

    wait_status = 0;
    d[0] = VTD_INV_WAIT | VTD_INV_WAIT_SW | ((uint64_t)WAIT_DONE << VTD_INV_WAIT_DATA_SHIFT);
    d[1] = (uint64_t)(uintptr_t)&wait_status;
    for (uint64_t i = 2; i < step / 8; i++)
        d[i] = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);   /* the descriptor before the tail that publishes it */
    tail = (tail + step) % size;
    *reg64(unit, VTD_IQT) = tail;
    for (unsigned i = 0; i < VTD_POLL_MAX; i++)
        if (wait_status == WAIT_DONE && (*reg64(unit, VTD_IQH) & VTD_IQ_OFFSET_MASK) == tail)
            return 0;
    return -1;
}

/* 0 when GSTS shows `bit` clear, -1 when the unit never reported it. */
static int vtd_clear(paddr_t unit, uint32_t bit)
{
    uint32_t sts = gsts(unit);

    if (!(sts & bit))
        return 0;
    if (bit == VTD_GCMD_QIE && vtd_drain_queue(unit) < 0)
        return -1;
    *(volatile uint32_t *)(uintptr_t)(unit + VTD_GCMD) = (sts & VTD_GCMD_PERSISTENT) & ~bit;
    for (unsigned i = 0; i < VTD_POLL_MAX; i++)
        if (!(gsts(unit) & bit))
            return 0;
    return -1;
}

/* 0 when the unit is off, -1 when its engines never stopped. */
static int amdvi_disable(paddr_t unit)
{
    volatile uint64_t *ctl = reg64(unit, AMDVI_CONTROL);
    uint64_t c = *ctl;

    if (!(c & AMDVI_CTL_IOMMU_EN))
        return 0;
    *ctl = c & ~AMDVI_CTL_ENGINES;
    unsigned i = 0;
    while ((*reg64(unit, AMDVI_STATUS) & AMDVI_STS_RUNNING) && ++i < AMDVI_POLL_MAX)
        cpu_pause();
    if (i == AMDVI_POLL_MAX)
        return -1;
    *ctl = c & ~(AMDVI_CTL_ENGINES | AMDVI_CTL_IOMMU_EN);
    return 0;
}

void limine_iommu_disable(const struct limine_tables *t)
{
    static const struct { uint32_t bit; const char *name; } steps[] = {
        { VTD_GCMD_TE, "DMA translation" },
        { VTD_GCMD_IRE, "interrupt remapping" },
        { VTD_GCMD_QIE, "queued invalidation" },
    };

    for (size_t u = 0; u < t->ndrhds; u++)
        for (size_t i = 0; i < ARRAY_LEN(steps); i++)
            if (vtd_clear(t->drhds[u], steps[i].bit) < 0)   /* COM1 only now; the boot goes on */
                con_printf("pagoda: limine: VT-d unit 0x%lx did not turn %s off (gsts=0x%x)\n",
                           (unsigned long)t->drhds[u], steps[i].name, gsts(t->drhds[u]));
    for (size_t u = 0; u < t->namdvis; u++)
        if (amdvi_disable(t->amdvis[u]) < 0)
            con_printf("pagoda: limine: AMD-Vi unit 0x%lx: its engines did not stop; left enabled\n",
                       (unsigned long)t->amdvis[u]);
}
