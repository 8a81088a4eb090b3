/* x86-64 registers and bits the Limine test kernels read. Values from the
 * Intel SDM; shared by C and the entry assembly. */
#ifndef LK_X86_H
#define LK_X86_H

#define CR0_PE (1UL << 0)
#define CR0_ET (1UL << 4)
#define CR0_WP (1UL << 16)
#define CR0_PG (1UL << 31)
#define CR4_PAE  (1UL << 5)
#define CR4_LA57 (1UL << 12)
#define EFER_LME (1UL << 8)
#define EFER_LMA (1UL << 10)
#define EFER_NXE (1UL << 11)
#define RFLAGS_FIXED (1UL << 1)
#define RFLAGS_IF (1UL << 9)
#define RFLAGS_DF (1UL << 10)
#define RFLAGS_VM (1UL << 17)

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_EXTD (1UL << 10)
#define APIC_BASE_EN   (1UL << 11)
#define MSR_PAT       0x277
#define MSR_EFER      0xc0000080
#define MSR_FS_BASE   0xc0000100
#define MSR_GS_BASE   0xc0000101
#define MSR_X2APIC_BASE 0x800       /* + xAPIC register offset >> 4 */
#define MSR_MTRRCAP   0xfe          /* VCNT in bits 7:0, FIX bit 8 */
#define MSR_MTRR_DEF  0x2ff
#define MSR_MTRR_VAR0 0x200         /* PHYSBASEn = 0x200 + 2n, PHYSMASKn = 0x201 + 2n */

#define PTE_P    (1UL << 0)
#define PTE_W    (1UL << 1)
#define PTE_PWT  (1UL << 3)
#define PTE_PCD  (1UL << 4)
#define PTE_PS   (1UL << 7)
#define PTE_PAT4K (1UL << 7)       /* PAT bit of a 4 KiB leaf */
#define PTE_PATLG (1UL << 12)      /* PAT bit of a 2 MiB / 1 GiB leaf */
#define PTE_NX   (1UL << 63)
#define PTE_ADDR 0x000ffffffffff000UL

#define PAT_UC 0
#define PAT_WC 1
#define PAT_WT 4
#define PAT_WP 5
#define PAT_WB 6
#define PAT_UCM 7

#define COM1 0x3f8
#define COM_LSR 5
#define COM_LSR_THRE 0x20
#define QEMU_DEBUGCON 0xe9
#define QEMU_EXIT_PORT 0xf4
#define QEMU_EXIT_PASS 0x10
#define QEMU_EXIT_FAIL 0x11
#define PIC1_DATA 0x21
#define PIC2_DATA 0xa1
#define CMOS_INDEX 0x70
#define CMOS_DATA 0x71
#define CMOS_SECONDS 0x00

#ifndef __ASSEMBLER__
#include <stdint.h>

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}
#define READ_CR(n) ({ uint64_t v_; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v_)); v_; })
static inline void invlpg(const volatile void *va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}
static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline uint64_t read_rflags(void) { uint64_t f; __asm__ volatile("pushfq; popq %0" : "=r"(f)); return f; }
#endif
#endif
