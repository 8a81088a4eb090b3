/* The ranges the loader adds to the firmware map: include/platform_ranges.h. */
#include "platform_ranges.h"

/* An APIC page the firmware map does not cover becomes MMIO; one it covers
 * keeps the type the firmware gave it. */
static int add_apic_page(struct pmem *pm, paddr_t base, unsigned bit, unsigned *added)
{
    if (pmem_type_at(pm, base) != PMEM_NONE)
        return 0;
    *added |= bit;
    return pmem_insert(pm, base, base + PAGE_SIZE, PMEM_MMIO);
}

int platform_ranges_add(struct pmem *pm, const struct bootinfo_fb *fb, unsigned *added)
{
    unsigned done = 0;
    int rc = 0;

    if (fb && fb->base) {
        done |= PLATFORM_ADDED_FB;
        rc = pmem_retype(pm, ALIGN_DOWN(fb->base, PAGE_SIZE),
                         ALIGN_UP(fb->base + fb->size, PAGE_SIZE), PMEM_FRAMEBUFFER);
    }
    if (rc == 0)
        rc = add_apic_page(pm, PLATFORM_LAPIC_BASE, PLATFORM_ADDED_LAPIC, &done);
    if (rc == 0)
        rc = add_apic_page(pm, PLATFORM_IOAPIC_BASE, PLATFORM_ADDED_IOAPIC, &done);
    if (added)
        *added = done;
    return rc;
}
