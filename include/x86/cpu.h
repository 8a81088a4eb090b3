/* x86_64 registers, MSRs and CPUID bits by name, and one-line accessors.
 * Used by the loader and the kernel (never by shared/, which stays
 * architecture-neutral apart from page-table bits). Intel SDM Vol. 2A
 * (CPUID), Vol. 3A 2.5 (control registers), Vol. 4 (MSRs). */
#ifndef PAGODA_X86_CPU_H
#define PAGODA_X86_CPU_H

#include "bits.h"

/* Assembler-safe: the trampolines and efi/limine*.S include this header. */
#define CR0_PE   BIT64(0)
#define CR0_ET   BIT64(4)    /* reads as 1 on every x86_64 CPU */
#define CR0_NE   BIT64(5)    /* native x87 error reporting */
#define CR0_WP   BIT64(16)
#define CR0_NW   BIT64(29)   /* with CD: no write-through; set by INIT */
#define CR0_CD   BIT64(30)   /* caches disabled; set by INIT */
#define CR0_PG   BIT64(31)
#define CR4_PAE  BIT64(5)
#define CR4_PGE  BIT64(7)
#define CR4_LA57 BIT64(12)
#define CR4_PCIDE BIT64(17)   /* CR3 bits 11:0 tag TLB entries (needs CR3[11:0] = 0 to set) */
#define CR4_SMAP BIT64(21)    /* supervisor accesses to user pages fault unless EFLAGS.AC */
#define CR3_PCID_MASK X86_ULL(0xFFF)
#define CR3_NOFLUSH   BIT64(63)  /* with PCIDE: keep this PCID's TLB entries on the write */

#define MSR_APIC_BASE X86_U(0x0000001B)
#define MSR_PAT       X86_U(0x00000277)
#define MSR_EFER      X86_U(0xC0000080)
#define MSR_FS_BASE   X86_U(0xC0000100)
#define MSR_GS_BASE   X86_U(0xC0000101)
#define EFER_LME      BIT64(8)
#define EFER_LMA      BIT64(10)   /* long mode active (read-only) */
#define EFER_NXE      BIT64(11)

#define APIC_BASE_BSP    BIT64(8)
#define APIC_BASE_EXTD   BIT64(10)   /* x2APIC mode */
#define APIC_BASE_EN     BIT64(11)
#define APIC_BASE_ADDR_MASK X86_ULL(0x000FFFFFFFFFF000)

/* CPUID leaves and feature bits. */
#define CPUID_FEATURES      X86_U(0x00000001)   /* EBX[31:24]: initial (xAPIC) APIC ID */
#define CPUID_TOPOLOGY      X86_U(0x0000000B)   /* EDX: x2APIC ID */
#define CPUID1_ECX_X2APIC   BIT32(21)
#define CPUID1_ECX_PCID     BIT32(17)
#define CPUID1_EDX_APIC     BIT32(9)
#define CPUID1_EDX_PAT      BIT32(16)
#define CPUID1_EDX_TSC      BIT32(4)
#define CPUID_EXT_FEATURES7 X86_U(0x00000007)
#define CPUID_TSC_CRYSTAL   X86_U(0x00000015)   /* EAX/EBX: TSC to crystal ratio; ECX: crystal Hz */
#define CPUID_FREQUENCY     X86_U(0x00000016)   /* EAX[15:0]: base frequency, MHz */
#define CPUID7_ECX_LA57     BIT32(16)
#define CPUID_EXT_MAX       X86_U(0x80000000)
#define CPUID_EXT_INFO      X86_U(0x80000001)
#define CPUIDX_EDX_NX       BIT32(20)
#define CPUIDX_EDX_1G       BIT32(26)
#define CPUIDX_EDX_LM       BIT32(29)

#define RFLAGS_IF BIT64(9)   /* interrupts enabled */

/* Legacy I/O ports. */
#define COM1_PORT        0x3F8
#define DEBUG_EXIT_PORT  0xF4    /* QEMU isa-debug-exit: exit status (v << 1) | 1 */

#ifndef __ASSEMBLER__
#include "../types.h"

struct cpuid_regs { uint32_t eax, ebx, ecx, edx; };

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct cpuid_regs r;
    __asm__ volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_CR_ACCESSORS(n)                                                 \
    static inline uint64_t read_cr##n(void)                                    \
    {                                                                          \
        uint64_t v;                                                            \
        __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));                      \
        return v;                                                              \
    }                                                                          \
    static inline void write_cr##n(uint64_t v)                                 \
    {                                                                          \
        __asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory");             \
    }
DEFINE_CR_ACCESSORS(0)
DEFINE_CR_ACCESSORS(2)
DEFINE_CR_ACCESSORS(3)
DEFINE_CR_ACCESSORS(4)
#undef DEFINE_CR_ACCESSORS

static inline void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void cpu_pause(void) { __asm__ volatile("pause"); }

/* Interrupts off; returns RFLAGS for cpu_irq_restore (IF back as it was). */
static inline uint64_t cpu_irq_save(void)
{
    uint64_t rflags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(rflags) : : "memory");
    return rflags;
}

static inline void cpu_irq_restore(uint64_t rflags)
{
    if (rflags & RFLAGS_IF)
        __asm__ volatile("sti" ::: "memory");
}
static inline void cpu_cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void invlpg(vaddr_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

#endif /* __ASSEMBLER__ */

#endif
