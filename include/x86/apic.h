/* The local APIC's registers and bits, defined once (Intel SDM Vol. 3A
 * chapter 11: 11.4 MMIO map, 11.5 LVT and timer, 11.6 ICR, 11.12 x2APIC).
 * Assembler-safe. shared/lapic.c sends IPIs with them, kernel/apic.c sets
 * the APIC up; MSR_APIC_BASE and its bits are in x86/cpu.h. */
#ifndef PAGODA_X86_APIC_H
#define PAGODA_X86_APIC_H

#include "bits.h"

/* Register offsets in the xAPIC MMIO page; x2APIC MSR = 0x800 + offset / 16. */
#define LAPIC_ID          0x020
#define LAPIC_VERSION     0x030     /* bits 23:16: index of the last LVT entry */
#define LAPIC_TPR         0x080
#define LAPIC_EOI         0x0B0
#define LAPIC_SVR         0x0F0
#define LAPIC_ESR         0x280
#define LAPIC_ICR_LOW     0x300
#define LAPIC_ICR_HIGH    0x310
#define LAPIC_LVT_CMCI    0x2F0     /* LVT entry 6 */
#define LAPIC_LVT_TIMER   0x320
#define LAPIC_LVT_THERMAL 0x330     /* LVT entry 5 */
#define LAPIC_LVT_PERF    0x340     /* LVT entry 4 */
#define LAPIC_LVT_LINT0   0x350
#define LAPIC_LVT_LINT1   0x360
#define LAPIC_LVT_ERROR   0x370
#define LAPIC_TIMER_INIT  0x380
#define LAPIC_TIMER_CUR   0x390
#define LAPIC_TIMER_DIV   0x3E0
#define X2APIC_MSR_BASE   0x800
#define X2APIC_MSR(off)   (X2APIC_MSR_BASE + ((off) >> 4))

#define XAPIC_ID_SHIFT    24        /* xAPIC ID register: ID in bits 31:24 */
#define LAPIC_SVR_ENABLE  BIT32(8)
#define LAPIC_SPURIOUS_VECTOR 0xFF  /* the SVR's vector after reset */
#define LAPIC_VERSION_MAXLVT(v) (((v) >> 16) & 0xFF)
#define LAPIC_LVT_MASKED  BIT32(16)
#define LAPIC_TIMER_DIV16 0x3       /* divide configuration: bus clock / 16 */
#define LAPIC_TIMER_MAX_COUNT X86_U(0xFFFFFFFF)

/* ICR low word. */
#define ICR_VECTOR_MASK   0xFF
#define ICR_VECTOR(v)     ((v) & ICR_VECTOR_MASK)
#define ICR_FIXED         (X86_U(0) << 8)
#define ICR_INIT          (X86_U(5) << 8)
#define ICR_STARTUP       (X86_U(6) << 8)
#define ICR_DELIVERY_PENDING BIT32(12)   /* xAPIC only; reserved in x2APIC */
#define ICR_LEVEL_ASSERT  BIT32(14)
#define ICR_TRIGGER_LEVEL BIT32(15)
/* Destination shorthand, bits 19:18: 11b = all excluding self (the
 * destination field is then ignored, in both modes; SDM Vol. 3A 11.6.1). */
#define ICR_ALL_BUT_SELF  (X86_U(3) << 18)
#define ICR_DEST_SHIFT_XAPIC  24         /* in ICR high */
#define ICR_DEST_SHIFT_X2APIC 32         /* in the 64-bit ICR MSR */

#define XAPIC_BROADCAST_ID 0xFF          /* never a target: it would reach every CPU */
#define XAPIC_MAX_ID       0xFE
#define X2APIC_BROADCAST_ID X86_U(0xFFFFFFFF) /* x2APIC: every ID below it is a CPU's */

/* STARTUP vector: a page number below 1 MiB; 0xA0-0xBF are reserved
 * (SDM Vol. 3A 8.4.4.1). */
#define STARTUP_PAGE_MAX       0xFF
#define STARTUP_RESERVED_FIRST 0xA0
#define STARTUP_RESERVED_LAST  0xBF

#endif
