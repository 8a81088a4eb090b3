/* The I/O APIC's registers (Intel 82093AA datasheet, 3.0; addresses from the
 * ACPI MADT): an index register and a data window; a redirection entry is
 * two 32-bit registers, the mask bit in the low one. Assembler-safe. */
#ifndef PAGODA_X86_IOAPIC_H
#define PAGODA_X86_IOAPIC_H

#include "bits.h"

#define IOAPIC_REGSEL       0x00      /* MMIO offset: register index */
#define IOAPIC_WINDOW       0x10      /* MMIO offset: data */
#define IOAPIC_REG_VERSION  0x01      /* bits 23:16: index of the last redirection entry */
#define IOAPIC_REG_REDIR(n) (0x10 + 2 * (n))   /* low word of entry n */
#define IOAPIC_REDIR_MASKED BIT32(16)
#define IOAPIC_VERSION_MAXREDIR(v) (((v) >> 16) & 0xFF)

#endif
