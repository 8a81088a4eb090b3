/* Choosing the APs to start, finding an AP's slot by APIC ID, and the
 * bring-up handshake on a slot's state (include/apslots.h draws it). */
#include "apslots.h"

#include "x86/apic.h"   /* XAPIC_MAX_ID */

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
    if (c->apic_id == X2APIC_BROADCAST_ID)
        return AP_SKIP_BROADCAST_ID;
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

bool apslots_bsp_consistent(const struct bootinfo_cpu *cpus, uint32_t ncpus,
                            uint32_t recorded_bsp_apic_id, uint32_t lapic_apic_id)
{
    uint32_t flagged = 0;

    if (recorded_bsp_apic_id != lapic_apic_id)
        return false;
    for (uint32_t i = 0; i < ncpus; i++)
        if (cpus[i].flags & CPU_FLAG_BSP) {
            if (cpus[i].apic_id != lapic_apic_id)
                return false;
            flagged++;
        }
    return flagged == 1;
}

struct ap_slot *apslots_find(struct ap_slot *slots, uint32_t n, uint32_t apic_id)
{
    for (uint32_t i = 0; i < n; i++)
        if (slots[i].apic_id == apic_id)
            return apslots_state(&slots[i]) == AP_STATE_READY ? &slots[i] : NULL;
    return NULL;
}

/* One transition; on failure *from holds the state found instead. */
static bool move(struct ap_slot *s, uint32_t *from, uint32_t to)
{
    return __atomic_compare_exchange_n(&s->state, from, to, false, __ATOMIC_ACQ_REL,
                                       __ATOMIC_ACQUIRE);
}

uint32_t apslots_state(const struct ap_slot *s)
{
    return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
}

bool apslots_say_alive(struct ap_slot *s)
{
    uint32_t from = AP_STATE_READY;
    return move(s, &from, AP_STATE_ALIVE);
}

bool apslots_released(const struct ap_slot *s)
{
    return apslots_state(s) == AP_STATE_RELEASED;
}

bool apslots_give_up(struct ap_slot *s)
{
    uint32_t from = AP_STATE_ALIVE;
    return move(s, &from, AP_STATE_GAVE_UP);
}

void apslots_published(struct ap_slot *s)
{
    __atomic_store_n(&s->state, AP_STATE_ONLINE, __ATOMIC_RELEASE);
}

enum ap_fate apslots_decide(struct ap_slot *s)
{
    uint32_t from = AP_STATE_READY;

    if (move(s, &from, AP_STATE_PARKED))
        return AP_FATE_PARKED;
    if (from == AP_STATE_ALIVE && move(s, &from, AP_STATE_RELEASED))
        return AP_FATE_RELEASED;
    /* Only the AP leaves ALIVE otherwise, and only to GAVE_UP. */
    return from == AP_STATE_GAVE_UP ? AP_FATE_GAVE_UP : AP_FATE_DECIDED;
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
    case AP_SKIP_BROADCAST_ID: return "apic-id-is-broadcast";
    case AP_SKIP_REASON_COUNT: break;
    }
    return "?";
}
