/* The legacy 8259A interrupt controllers' ports (master and slave). The
 * kernel only masks every line on both: its interrupts come from the local
 * APIC. Assembler-safe. */
#ifndef PAGODA_X86_PIC_H
#define PAGODA_X86_PIC_H

#define PIC1_DATA     0x21   /* master: interrupt mask register */
#define PIC2_DATA     0xA1   /* slave: interrupt mask register */
#define PIC_MASK_ALL  0xFF

#endif
