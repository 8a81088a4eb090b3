/* Per-CPU descriptor tables and data: each CPU gets its own GDT (its TSS
 * descriptor differs), a TSS whose IST1 stack takes double faults, and GS
 * base pointing at its struct cpu. */
#include <string.h>

#include "kernel.h"
#include "x86/cpu.h"
#include "x86/seg.h"

#define KERNEL_CODE_DESC SEG_FLAT(SEG_ACCESSED | SEG_RW | SEG_EXEC | SEG_LONG)
#define KERNEL_DATA_DESC SEG_FLAT(SEG_ACCESSED | SEG_RW)

static struct cpu bsp_cpu;

struct __attribute__((packed)) dtr {
    uint16_t limit;
    uint64_t base;
};

/* A 64-bit TSS descriptor takes two GDT slots (SDM 3A 7.2.3). */
static void set_tss_descriptor(uint64_t *slot, const struct tss *tss)
{
    uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

    slot[0] = (limit & 0xFFFF) | ((base & 0xFFFFFF) << 16) | SEG_TYPE_TSS_AVAIL | SEG_PRESENT |
              (((limit >> 16) & 0xF) << 48) | (((base >> 24) & 0xFF) << 56);
    slot[1] = base >> 32;
}

/* Load the GDT, reload every segment register (CS through a far return),
 * and load the task register. */
static void load_descriptors(struct cpu *c)
{
    struct dtr gdtr = { .limit = sizeof(c->gdt) - 1, .base = (uint64_t)c->gdt };

    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ds\n\t"
                     "movw %w2, %%es\n\t"
                     "movw %w2, %%ss\n\t"
                     "xorl %%eax, %%eax\n\t"
                     "movw %%ax, %%fs\n\t"
                     "movw %%ax, %%gs\n\t"
                     "ltr %w3"
                     :
                     : "m"(gdtr), "i"(GDT_KERNEL_CODE), "r"(GDT_KERNEL_DATA), "r"(GDT_TSS)
                     : "rax", "memory");
}

/* Prepare and load a CPU's tables; `c` must stay mapped forever. */
static void cpu_setup(struct cpu *c, uint32_t index, uint32_t apic_id)
{
    memset(c, 0, sizeof(*c));
    c->self = c;
    c->index = index;
    c->apic_id = apic_id;
    c->gdt[1] = KERNEL_CODE_DESC;
    c->gdt[2] = KERNEL_DATA_DESC;
    set_tss_descriptor(&c->gdt[3], &c->tss);
    c->tss.ist[IST_DOUBLE_FAULT - 1] = (uint64_t)(c->ist_stack + sizeof(c->ist_stack));
    c->tss.iomap_base = sizeof(c->tss); /* no I/O permission bitmap */
    load_descriptors(c);
    wrmsr(MSR_GS_BASE, (uint64_t)c);
    c->cr3 = read_cr3();
}

void cpu_init_bsp(uint32_t apic_id)
{
    cpu_setup(&bsp_cpu, 0, apic_id);
}

/* Called on the AP itself, first thing in ap_main. */
void cpu_init_ap(struct cpu *c, uint32_t index, uint32_t apic_id)
{
    cpu_setup(c, index, apic_id);
}

/* NULL before GS base is set (early panics). */
struct cpu *this_cpu(void)
{
    struct cpu *c;

    if (rdmsr(MSR_GS_BASE) == 0)
        return NULL;
    __asm__ volatile("movq %%gs:0, %0" : "=r"(c));
    return c;
}
