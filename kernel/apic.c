/* This machine's local APICs: xAPIC through its uncached MMIO page in the
 * HHDM, or x2APIC through MSRs when the firmware left x2APIC on or some APIC
 * ID does not fit xAPIC's 8 bits. The IPI logic itself is shared/lapic.c.
 * Also silences the legacy 8259 PICs: no external interrupt is wanted yet. */
#include "kernel.h"
#include "lapic.h"
#include "x86/cpu.h"
#include "x86/lapic_cpu.h"
#include "x86/pic.h"

/* 100 us of a timer at 1/16 of its clock: 6250 ticks at 1 GHz (QEMU), 625
 * at 100 MHz, 156 at a 25 MHz bus clock; with the two clocks read within a
 * microsecond of each other, a rate within about 1%, which is all sleeping
 * waits need (500 us, the value before, cost 0.4 ms more of every boot). It
 * must be known before the bring-up: an AP waiting for its release sleeps
 * on its timer and is woken early by the BSP's IPI (spinning on the TSC
 * instead, it noticed the release only at the end of each 20 ms look). */
#define TIMER_CALIBRATION_US 100

static struct lapic_io io;
static uint64_t timer_ticks_per_ms;   /* LAPIC timer, divide-by-16; same on every CPU */
static bool needs_x2apic(const struct bootinfo *bi)
{
    if (rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD)
        return true; /* no way back to xAPIC without disabling the APIC */
    const struct bootinfo_cpu *cpus = bootinfo_cpus(bi, bi->hhdm_base);

    for (uint32_t i = 0; i < bi->cpu_count; i++)
        if (cpus[i].apic_id > XAPIC_MAX_ID)
            return true;
    return false;
}

void apic_init_bsp(const struct bootinfo *bi)
{
    outb(PIC1_DATA, PIC_MASK_ALL);
    outb(PIC2_DATA, PIC_MASK_ALL);
    if (needs_x2apic(bi) && (bi->cpu_features & BI_CPU_X2APIC)) {
        io = lapic_io_cpu(true, NULL);
    } else {
        paddr_t base = rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR_MASK;
        struct pt_translation t;
        /* The loader maps the architectural page; a relocated APIC is
         * possible in principle and would need its own mapping. */
        if (pt_translate(&kmem.pt, (vaddr_t)phys_to_virt(base), &t) != 0 || !(t.flags & PT_MAP_UC))
            panic("apic: local APIC at 0x%lx is not mapped uncached in the HHDM", (unsigned long)base);
        io = lapic_io_cpu(false, phys_to_virt(base));
    }
    apic_init_this_cpu();
    /* The local APIC's own ID is the truth about which CPU this is: the BSP's
     * struct cpu takes it (APs send wake-ups there), and smp.c starts no AP
     * if the loader's record disagrees. */
    uint32_t id = apic_id_this_cpu();
    if (id != bi->bsp_apic_id)
        kprintf("pagoda: bsp apic id mismatch: local APIC says %u, the loader recorded %u\n", id,
                bi->bsp_apic_id);
    this_cpu()->apic_id = id;
}

/* Per CPU: x2APIC on if chosen (each CPU enables its own), LVTs masked,
 * software-enabled with the spurious vector. */
void apic_init_this_cpu(void)
{
    if (io.x2apic) {
        uint64_t b = rdmsr(MSR_APIC_BASE);
        if (!(b & APIC_BASE_EXTD))
            wrmsr(MSR_APIC_BASE, b | APIC_BASE_EN | APIC_BASE_EXTD);
    }
    io.write(io.ctx, LAPIC_LVT_TIMER, LAPIC_LVT_MASKED);
    io.write(io.ctx, LAPIC_LVT_LINT0, LAPIC_LVT_MASKED);
    io.write(io.ctx, LAPIC_LVT_LINT1, LAPIC_LVT_MASKED);
    io.write(io.ctx, LAPIC_LVT_ERROR, LAPIC_LVT_MASKED);
    io.write(io.ctx, LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
    /* Clears what the firmware's use left latched, so a later report
     * (smp.c, after a failed IPI) shows only this kernel's errors. */
    (void)lapic_read_esr(&io);
}

/* The LAPIC timer's rate is not architectural: measure it against the
 * (calibrated) TSC once, on the BSP. APs may read the rate in apic_sleep_us
 * at any time: 0 until here means they spin on the TSC. */
void apic_timer_calibrate(void)
{
    io.write(io.ctx, LAPIC_TIMER_DIV, LAPIC_TIMER_DIV16);
    io.write(io.ctx, LAPIC_LVT_TIMER, LAPIC_LVT_MASKED | VEC_TIMER);
    io.write(io.ctx, LAPIC_TIMER_INIT, LAPIC_TIMER_MAX_COUNT);
    uint64_t t0 = rdtsc();
    timer_delay_us(TIMER_CALIBRATION_US);
    uint32_t left = io.read(io.ctx, LAPIC_TIMER_CUR);
    uint64_t ns = timer_ticks_to_ns(rdtsc() - t0);
    io.write(io.ctx, LAPIC_TIMER_INIT, 0);
    __atomic_store_n(&timer_ticks_per_ms, ns ? (LAPIC_TIMER_MAX_COUNT - left) * 1000000 / ns : 0,
                     __ATOMIC_RELAXED);
}

/* A one-shot timer interrupt, then HLT: the CPU stops using its core until
 * the timer or any IPI. The timer is armed with interrupts off and STI;HLT
 * is one step for interrupt delivery (STI's shadow), so a timer that fires
 * at once still wakes the HLT instead of being taken before it and leaving
 * the CPU asleep for good. The caller's IF is restored. Without a calibrated
 * timer, spin on the TSC instead. */
void apic_sleep_us(uint64_t us)
{
    uint64_t count = __atomic_load_n(&timer_ticks_per_ms, __ATOMIC_RELAXED) * us / 1000;

    if (count == 0 || count > LAPIC_TIMER_MAX_COUNT) {
        timer_delay_us(us);
        return;
    }
    uint64_t rflags = cpu_irq_save();
    io.write(io.ctx, LAPIC_TIMER_DIV, LAPIC_TIMER_DIV16);
    io.write(io.ctx, LAPIC_LVT_TIMER, VEC_TIMER);         /* one-shot, unmasked */
    io.write(io.ctx, LAPIC_TIMER_INIT, (uint32_t)count);
    __asm__ volatile("sti; hlt" ::: "memory");
    io.write(io.ctx, LAPIC_TIMER_INIT, 0);                /* woken early: cancel */
    if (!(rflags & RFLAGS_IF))
        cpu_cli();
}

const struct lapic_io *apic_io(void)
{
    return &io;
}

bool apic_is_x2apic(void)
{
    return io.x2apic;
}

uint32_t apic_id_this_cpu(void)
{
    return lapic_cpu_own_id(&io);
}

void apic_eoi(void)
{
    io.write(io.ctx, LAPIC_EOI, 0);
}

int apic_send_ipi_vector(uint32_t apic_id, uint8_t vector)
{
    return lapic_send_ipi(&io, apic_id, ICR_FIXED | ICR_LEVEL_ASSERT | ICR_VECTOR(vector));
}

int apic_broadcast_vector(uint8_t vector)
{
    return lapic_send_vector_all_but_self(&io, vector);
}
