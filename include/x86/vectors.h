/* Interrupt vectors, defined once for the IDT (kernel/trap.c), the entry
 * stubs (kernel/isr.S) and every sender. Assembler-safe; plain numbers so
 * that isr.S can paste them into stub labels (isr_0xF0). Exceptions: Intel
 * SDM Vol. 3A 6.3.1, Table 6-1. */
#ifndef PAGODA_X86_VECTORS_H
#define PAGODA_X86_VECTORS_H

#define VEC_DOUBLE_FAULT   8
#define VEC_PAGE_FAULT     14
#define VEC_EXCEPTIONS     32        /* 0-31 are the CPU's */

/* The kernel's own vectors, above every exception and the SIPI-reserved
 * range. */
#define VEC_TLB_SHOOTDOWN  0xF0      /* flush a kernel range, then acknowledge */
#define VEC_WAKEUP         0xF1      /* new work for an idle CPU */
#define VEC_TIMER          0xF2      /* local APIC timer: ends a timed sleep */
#define VEC_SPURIOUS       0xFF      /* local APIC spurious vector: no EOI */

/* Every kernel vector with a stub, in isr_ipi_table order (isr.S builds
 * the stubs and the table from this list, trap.c installs the gates). */
#define VEC_KERNEL_LIST    VEC_TLB_SHOOTDOWN, VEC_WAKEUP, VEC_TIMER, VEC_SPURIOUS

#endif
