/* Faults during the checks: an IDT of this kernel's own whose 32 exception
 * gates report "check NAME=fail fault ..." for the check that was running and
 * end the run, so a loader bug shows up as a named failure, not as a triple
 * fault and a silent reset. Delivering an exception reads the GDT, so a GDT
 * of our own is loaded too (same selectors as the protocol's: code 0x28,
 * data 0x30): the loader's might not be mapped, which the entry_segs check
 * then reports by name. What the loader handed over is recorded first. */
#include "lk_entry.h"
#include "lk_kernel.h"
#include "lk_x86.h"

#define GATE_INTERRUPT 0x8e00          /* present, DPL 0, 64-bit interrupt gate */

struct gate { uint16_t off0, sel, type; uint16_t off1; uint32_t off2, zero; };

static struct gate idt[LK_FAULT_VECTORS] __attribute__((aligned(16)));
/* Null, four unused legacy slots, 64-bit code (0x28), 64-bit data (0x30).
 * Writable memory with the accessed bits preset: the CPU sets them when it
 * loads a selector. */
static uint64_t gdt[7] __attribute__((aligned(16))) = {
    0, 0, 0, 0, 0, 0x00af9b000000ffffUL, 0x00cf93000000ffffUL };
struct lk_tables_seen lk_entry_tables_seen;
const char *lk_current_check(void);

void lk_tables_record(struct lk_tables_seen *t)
{
    __asm__ volatile("sidt %0; sgdt %1; sldt %2; str %3"
                     : "=m"(t->idtr), "=m"(t->gdtr), "=r"(t->ldtr), "=r"(t->tr));
    t->fs_base = rdmsr(MSR_FS_BASE);
    t->gs_base = rdmsr(MSR_GS_BASE);
}

void lk_fault_load(void)
{
    struct lk_dtr g = { sizeof gdt - 1, (uint64_t)gdt }, d = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\tmov %2, %%ds\n\t"
                     "mov %2, %%es\n\t"
                     "mov %2, %%ss\n\t"
                     "lidt %3"
                     :: "m"(g), "i"(LK_SEL_CODE64), "r"(LK_SEL_DATA64), "m"(d) : "rax", "memory");
}

void lk_fault_install(void)
{
    for (int v = 0; v < LK_FAULT_VECTORS; v++) {
        uint64_t a = lk_fault_stubs[v];
        idt[v] = (struct gate){ (uint16_t)a, LK_SEL_CODE64, GATE_INTERRUPT, (uint16_t)(a >> 16), (uint32_t)(a >> 32), 0 };
    }
    lk_fault_load();
}

void lk_fault(struct lk_fault_frame *f)
{
    lk_fail(lk_current_check(), "fault vector=%lu error=%lx rip=%lx cr2=%lx rsp=%lx", f->vector, f->error, f->rip,
            READ_CR(2), f->rsp);
    lk_finish();
}
