/* Which CPUs the kernel starts, and the slot table the APs search by APIC
 * ID (include/x86/trampoline.h). Pure logic, shared with host tests. */
#ifndef PAGODA_APSLOTS_H
#define PAGODA_APSLOTS_H

#include "bootinfo.h"
#include "x86/trampoline.h"

enum ap_skip_reason {
    AP_START = 0,         /* gets a slot */
    AP_SKIP_BSP,          /* the CPU doing the starting */
    AP_SKIP_DISABLED,     /* MP Services: not enabled */
    AP_SKIP_UNHEALTHY,    /* MP Services: failed its self-test */
    AP_SKIP_NEEDS_X2APIC, /* APIC ID > 254 while in xAPIC mode (0xFF is broadcast) */
    AP_SKIP_DUPLICATE,    /* APIC ID seen before: firmware bug; starting it twice is wrong */
    AP_SKIP_REASON_COUNT
};

/* Fill slots[] (capacity `cap`) for the CPUs to start, in firmware order,
 * with indices first_index, first_index + 1, ...; stack_top and cpu stay 0
 * and state EMPTY for the caller to fill. reasons[i] (may be NULL) gets the
 * verdict for cpus[i]. Returns the number of slots. */
uint32_t apslots_build(const struct bootinfo_cpu *cpus, uint32_t ncpus, bool x2apic,
                       uint32_t first_index, struct ap_slot *slots, uint32_t cap,
                       enum ap_skip_reason *reasons);

/* The slot an AP with this APIC ID takes: the first slot with that ID, if
 * it is READY; the rule the trampoline's assembly scan applies (ap_main
 * cross-checks the two). NULL if none. */
struct ap_slot *apslots_find(struct ap_slot *slots, uint32_t n, uint32_t apic_id);

const char *apslots_reason_name(enum ap_skip_reason r);

#endif
