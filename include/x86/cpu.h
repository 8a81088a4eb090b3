/* x86_64 registers, MSRs and CPUID bits by name, and one-line accessors.
 * Used by the loader and the kernel (never by shared/, which stays
 * architecture-neutral apart from page-table bits). Intel SDM Vol. 2A
 * (CPUID), Vol. 3A 2.5 (control registers), Vol. 4 (MSRs). */
#ifndef PAGODA_X86_CPU_H
#define PAGODA_X86_CPU_H

#include "../types.h"

#define CR0_PE   (1ULL << 0)
#define CR0_WP   (1ULL << 16)
#define CR0_PG   (1ULL << 31)
#define CR4_PAE  (1ULL << 5)
#define CR4_PGE  (1ULL << 7)
#define CR4_LA57 (1ULL << 12)
#define CR4_PCIDE (1ULL << 17)   /* CR3 bits 11:0 tag TLB entries (needs CR3[11:0] = 0 to set) */
#define CR4_SMAP (1ULL << 21)    /* supervisor accesses to user pages fault unless EFLAGS.AC */
#define CR3_PCID_MASK 0xFFFULL
#define CR3_NOFLUSH   (1ULL << 63)  /* with PCIDE: keep this PCID's TLB entries on the write */

#define MSR_APIC_BASE 0x0000001BU
#define MSR_PAT       0x00000277U
#define MSR_EFER      0xC0000080U
#define MSR_FS_BASE   0xC0000100U
#define MSR_GS_BASE   0xC0000101U
#define EFER_LME      (1ULL << 8)
#define EFER_NXE      (1ULL << 11)

#define APIC_BASE_BSP    (1ULL << 8)
#define APIC_BASE_EXTD   (1ULL << 10)   /* x2APIC mode */
#define APIC_BASE_EN     (1ULL << 11)
#define APIC_BASE_ADDR_MASK 0x000FFFFFFFFFF000ULL

/* CPUID leaves and feature bits. */
#define CPUID_FEATURES      0x00000001U
#define CPUID1_ECX_X2APIC   (1U << 21)
#define CPUID1_ECX_PCID     (1U << 17)
#define CPUID1_EDX_APIC     (1U << 9)
#define CPUID1_EDX_PAT      (1U << 16)
#define CPUID1_EDX_TSC      (1U << 4)
#define CPUID_EXT_FEATURES7 0x00000007U
#define CPUID7_ECX_LA57     (1U << 16)
#define CPUID_EXT_MAX       0x80000000U
#define CPUID_EXT_INFO      0x80000001U
#define CPUIDX_EDX_NX       (1U << 20)
#define CPUIDX_EDX_1G       (1U << 26)
#define CPUIDX_EDX_LM       (1U << 29)

/* Legacy I/O ports. */
#define COM1_PORT        0x3F8
#define DEBUG_EXIT_PORT  0xF4    /* QEMU isa-debug-exit: exit status (v << 1) | 1 */

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

static inline void cpu_pause(void) { __asm__ volatile("pause"); }
static inline void cpu_cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void invlpg(vaddr_t va) { __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory"); }

#endif
