/* Exceptions: the IDT, and a handler that reports every fault (vector,
 * error code, RIP, CR2, CPU, a short backtrace) and halts, so a bug never
 * ends in a silent triple-fault reboot. Faults at a probe's instruction
 * (probe.S) are recorded and resumed instead: that is how the self-checks
 * test that protections hold. */
#include "fmt.h"
#include "kernel.h"
#include "x86/cpu.h"
#include "x86/pte.h"

#define IDT_VECTORS        256
#define IDT_GATE_INTERRUPT 0x8E   /* present, DPL 0, 64-bit interrupt gate */
#define BACKTRACE_DEPTH    8

/* Layout pushed by isr.S, lowest address first. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;    /* pushed by the CPU */
};

struct idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
} __attribute__((packed));

static struct idt_gate idt[IDT_VECTORS];
extern const uint64_t isr_table[VEC_EXCEPTIONS];
extern const uint64_t isr_ipi_table[];
static const uint8_t ipi_vectors[] = { VEC_KERNEL_LIST };   /* isr_ipi_table's order */
extern const uint64_t probe_fixups[], probe_fixups_end[];
bool trap_test_mode;

static const char *const vector_names[] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range", "invalid opcode",
    "device not available", "double fault", "coprocessor overrun", "invalid TSS",
    "segment not present", "stack fault", "general protection", "page fault", "reserved",
    "x87 FP", "alignment check", "machine check", "SIMD FP", "virtualization", "control protection",
};

static void set_gate(int v, uint64_t a)
{
    idt[v] = (struct idt_gate){
        .offset_lo = (uint16_t)a,
        .selector = GDT_KERNEL_CODE,
        .ist = v == VEC_DOUBLE_FAULT ? IST_DOUBLE_FAULT : 0,
        .type_attr = IDT_GATE_INTERRUPT,
        .offset_mid = (uint16_t)(a >> 16),
        .offset_hi = (uint32_t)(a >> 32),
    };
}

/* One IDT shared by every CPU: exceptions and the IPI vectors. Other
 * vectors stay not-present (a stray interrupt then faults visibly). */
void trap_init(void)
{
    for (int v = 0; v < VEC_EXCEPTIONS; v++)
        set_gate(v, isr_table[v]);
    for (size_t i = 0; i < ARRAY_LEN(ipi_vectors); i++)
        set_gate(ipi_vectors[i], isr_ipi_table[i]);
    trap_load_idt();
}

void trap_load_idt(void)
{
    struct __attribute__((packed)) {
        uint16_t limit;
        uint64_t base;
    } idtr = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

bool trap_fixup(uint64_t *rip)
{
    for (const uint64_t *f = probe_fixups; f < probe_fixups_end; f += 2) {
        if (f[0] == *rip) {
            *rip = f[1];
            return true;
        }
    }
    return false;
}

/* Frame-pointer walk; stops at the chain's end (RBP = 0 at entry) or at
 * anything outside the kernel's higher half. */
static void backtrace(uint64_t rbp)
{
    char line[BACKTRACE_DEPTH * 20 + 32];
    size_t n = fmt_snprintf(line, sizeof(line), "pagoda:   backtrace:");

    for (int i = 0; i < BACKTRACE_DEPTH && rbp >= HIGHER_HALF_BASE && IS_ALIGNED(rbp, 8); i++) {
        const uint64_t *frame = (const uint64_t *)rbp;
        n += fmt_snprintf(line + n, sizeof(line) - n, " 0x%lx", (unsigned long)frame[1]);
        n = MIN(n, sizeof(line) - 1); /* snprintf returns the untruncated length */
        rbp = frame[0];
    }
    kalert("%s\n", line);
}

static void report_fault(const struct trap_frame *f, uint64_t cr2)
{
    struct cpu *c = this_cpu();

    kalert("pagoda: FAULT cpu=%u vector=%lu (%s) error=0x%lx rip=0x%lx cr2=0x%lx\n",
            c ? c->index : 0, f->vector,
            f->vector < ARRAY_LEN(vector_names) ? vector_names[f->vector] : "reserved",
            f->error, f->rip, cr2);
    kalert("pagoda:   rsp=0x%lx rbp=0x%lx rax=0x%lx rdi=0x%lx cs=0x%lx rflags=0x%lx\n", f->rsp,
            f->rbp, f->rax, f->rdi, f->cs, f->rflags);
    backtrace(f->rbp);
}

void trap_handler(struct trap_frame *f);
void trap_handler(struct trap_frame *f)
{
    uint64_t cr2 = read_cr2();
    struct cpu *c = this_cpu();

    uint64_t rip = f->rip;

    switch (f->vector) {
    case VEC_TLB_SHOOTDOWN:
        tlb_handle_ipi();
        apic_eoi();
        return;
    case VEC_WAKEUP:
    case VEC_TIMER:
        apic_eoi(); /* waking up was the point: the interrupted loop looks again */
        return;
    case VEC_SPURIOUS:
        return;     /* no EOI for spurious interrupts (SDM 3A 11.9) */
    }
    if (f->vector != VEC_DOUBLE_FAULT && trap_fixup(&f->rip)) {
        if (c)
            c->last_fault = (struct fault_record){ f->vector, f->error, rip, cr2,
                                                   c->last_fault.count + 1 };
        f->rax = 1 + f->vector;
        return;
    }
    report_fault(f, cr2);
    kalert("pagoda: result=fail reason=fault-vector-%lu\n", f->vector);
    if (trap_test_mode)
        qemu_exit(EXIT_FAIL);
    halt_forever();
}
