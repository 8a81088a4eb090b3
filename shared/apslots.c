/* Choosing the APs to start and finding an AP's slot by APIC ID. */
#include "apslots.h"

#include "lapic.h"

static bool seen_before(const struct ap_slot *slots, uint32_t n, uint32_t apic_id)
{
    for (uint32_t i = 0; i < n; i++)
        if (slots[i].apic_id == apic_id)
            return true;
    return false;
}

static enum ap_skip_reason verdict(const struct bootinfo_cpu *c, bool x2apic,
                                   const struct ap_slot *slots, uint32_t n)
{
    if (c->flags & CPU_FLAG_BSP)
        return AP_SKIP_BSP;
    if (!(c->flags & CPU_FLAG_ENABLED))
        return AP_SKIP_DISABLED;
    if (!(c->flags & CPU_FLAG_HEALTHY))
        return AP_SKIP_UNHEALTHY;
    if (!x2apic && c->apic_id > XAPIC_MAX_ID)
        return AP_SKIP_NEEDS_X2APIC;
    if (seen_before(slots, n, c->apic_id))
        return AP_SKIP_DUPLICATE;
    return AP_START;
}

uint32_t apslots_build(const struct bootinfo_cpu *cpus, uint32_t ncpus, bool x2apic,
                       uint32_t first_index, struct ap_slot *slots, uint32_t cap,
                       enum ap_skip_reason *reasons)
{
    uint32_t n = 0;

    for (uint32_t i = 0; i < ncpus && n < cap; i++) {
        enum ap_skip_reason r = verdict(&cpus[i], x2apic, slots, n);
        if (reasons)
            reasons[i] = r;
        if (r == AP_START) {
            slots[n] = (struct ap_slot){ .apic_id = cpus[i].apic_id, .index = first_index + n,
                                         .state = AP_STATE_EMPTY };
            n++;
        }
    }
    return n;
}

struct ap_slot *apslots_find(struct ap_slot *slots, uint32_t n, uint32_t apic_id)
{
    for (uint32_t i = 0; i < n; i++)
        if (slots[i].apic_id == apic_id)
            return slots[i].state == AP_STATE_READY ? &slots[i] : NULL;
    return NULL;
}

const char *apslots_reason_name(enum ap_skip_reason r)
{
    switch (r) {
    case AP_START: return "start";
    case AP_SKIP_BSP: return "bsp";
    case AP_SKIP_DISABLED: return "disabled";
    case AP_SKIP_UNHEALTHY: return "unhealthy";
    case AP_SKIP_NEEDS_X2APIC: return "apic-id-needs-x2apic";
    case AP_SKIP_DUPLICATE: return "duplicate-apic-id";
    case AP_SKIP_REASON_COUNT: break;
    }
    return "?";
}
