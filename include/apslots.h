/* Which CPUs the kernel starts, the slot table the APs search by APIC ID
 * (include/x86/trampoline.h), and the bring-up handshake on each slot's
 * state. Pure logic, shared with host tests. */
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
    AP_SKIP_BROADCAST_ID, /* APIC ID 0xFFFFFFFF: the x2APIC broadcast, no CPU's address */
    AP_SKIP_REASON_COUNT
};

/* Fill slots[] (capacity `cap`) for the CPUs to start, in firmware order,
 * with indices first_index, first_index + 1, ...; stack_top and cpu stay 0
 * and state EMPTY for the caller to fill. reasons[i] (may be NULL) gets the
 * verdict for cpus[i]. Returns the number of slots. */
uint32_t apslots_build(const struct bootinfo_cpu *cpus, uint32_t ncpus, bool x2apic,
                       uint32_t first_index, struct ap_slot *slots, uint32_t cap,
                       enum ap_skip_reason *reasons);

/* Whether the CPU list can be trusted to tell the BSP from the APs: the
 * running CPU's own APIC ID (from its local APIC) equals the one the loader
 * recorded, and exactly one listed CPU is flagged BSP, with that ID. When
 * not, starting APs could INIT the BSP itself. */
bool apslots_bsp_consistent(const struct bootinfo_cpu *cpus, uint32_t ncpus,
                            uint32_t recorded_bsp_apic_id, uint32_t lapic_apic_id);

/* The slot an AP with this APIC ID takes: the first slot with that ID, if
 * it is READY; the rule the trampoline's assembly scan applies (ap_main
 * cross-checks the two). NULL if none. */
struct ap_slot *apslots_find(struct ap_slot *slots, uint32_t n, uint32_t apic_id);

/* The handshake. The AP says alive, waits (bounded) for the BSP's release
 * and only then publishes itself; the BSP, at its deadline, decides every
 * slot's fate once. Each step out of READY and out of ALIVE is a
 * compare-and-swap, so when AP and BSP move at the same instant exactly one
 * of them wins and both see which:
 *
 *   READY --AP: say_alive--> ALIVE --BSP: decide--> RELEASED --AP: published--> ONLINE
 *     |                        |
 *     +--BSP: decide--> PARKED +--AP: give_up--> GAVE_UP
 *
 * PARKED: the AP never said alive; the BSP INITs it, and if it runs anyway
 * (INIT still pending, or already past the check), say_alive fails and it
 * halts without touching shared state. GAVE_UP: the BSP missed the AP's
 * release deadline; the AP halted itself. */
enum ap_fate {
    AP_FATE_RELEASED,     /* said alive in time: it will publish itself */
    AP_FATE_PARKED,       /* never said alive: INIT it, count it out */
    AP_FATE_GAVE_UP,      /* said alive but stopped waiting for the release */
    AP_FATE_DECIDED,      /* already decided earlier (or an EMPTY slot): nothing to do */
};

/* AP: READY -> ALIVE. false when the BSP parked the slot first: halt. */
bool apslots_say_alive(struct ap_slot *s);
/* AP: true once the BSP has released the slot. */
bool apslots_released(const struct ap_slot *s);
/* AP, at its release deadline: ALIVE -> GAVE_UP. false when the release
 * came first after all (then carry on as released). */
bool apslots_give_up(struct ap_slot *s);
/* AP: RELEASED -> ONLINE, after its CPU-table entry and the count are
 * written (release ordering: whoever sees ONLINE sees those). */
void apslots_published(struct ap_slot *s);
/* BSP, at the deadline: READY -> PARKED or ALIVE -> RELEASED. */
enum ap_fate apslots_decide(struct ap_slot *s);
/* Current state, with acquire ordering. */
uint32_t apslots_state(const struct ap_slot *s);

const char *apslots_reason_name(enum ap_skip_reason r);

#endif
