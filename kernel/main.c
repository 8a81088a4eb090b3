/* kmain: the kernel's top-level sequence, one named step per line. */
#include "aspace_cpu.h"
#include "fbcon.h"
#include "kernel.h"
#include "x86/cpu.h"

#define TEST_MODE_FLAG   "pagoda.test"
#define SMP_KEY          "pagoda.smp"            /* =serial: one AP at a time, the baseline */
#define SMP_WITHHOLD_KEY "pagoda.smp.withhold"   /* =APIC ID: a CPU that never answers */
#define SMP_LATE_KEY     "pagoda.smp.late"       /* =APIC ID: a CPU that answers too late */
#define SMP_DEAF_KEY     "pagoda.smp.deaf"       /* =APIC ID: a CPU that stops answering */
#define SMP_INIT_DELAY_KEY "pagoda.smp.init_delay" /* =legacy: the SDM's waits on any CPU */

static struct smp_options smp_options(const char *cmdline)
{
    struct smp_options o = { .serial = cmdline_value_is(cmdline_value(cmdline, SMP_KEY), "serial") };
    o.withhold = cmdline_u32(cmdline_value(cmdline, SMP_WITHHOLD_KEY), &o.withhold_apic);
    o.late = cmdline_u32(cmdline_value(cmdline, SMP_LATE_KEY), &o.late_apic);
    o.deaf = cmdline_u32(cmdline_value(cmdline, SMP_DEAF_KEY), &o.deaf_apic);
    o.init_delay_legacy = cmdline_value_is(cmdline_value(cmdline, SMP_INIT_DELAY_KEY), "legacy");
    return o;
}

static void validate_bootinfo(const struct bootinfo *bi)
{
    if (bi->magic != BOOTINFO_MAGIC || bi->version != BOOTINFO_VERSION || bi->size != sizeof(*bi))
        panic("boot info: magic 0x%lx version %u size %u, expected 0x%lx version %u size %u",
              (unsigned long)bi->magic, bi->version, bi->size, (unsigned long)BOOTINFO_MAGIC,
              BOOTINFO_VERSION, (unsigned)sizeof(*bi));
    if (bi->hhdm_base != HHDM_BASE || bi->pmem_count == 0 || bi->pmem_count > bi->pmem_capacity)
        panic("boot info: inconsistent (hhdm 0x%lx, %lu of %lu tracker entries)",
              (unsigned long)bi->hhdm_base, (unsigned long)bi->pmem_count,
              (unsigned long)bi->pmem_capacity);
}

void kmain(struct bootinfo *bi);
void kmain(struct bootinfo *bi)
{
    struct check_result checks;

    wrmsr(MSR_GS_BASE, 0);                 /* this_cpu() is NULL until cpu_init_bsp */
    console_init();
    validate_bootinfo(bi);
    cpu_init_bsp(bi->bsp_apic_id);          /* GDT, TSS (IST for #DF), GS base */
    trap_init();                            /* every exception reports, none reboots */
    kprintf("pagoda: kernel started\n");
    trap_test_mode = cmdline_has(bi->cmdline, TEST_MODE_FLAG);
    write_cr4(read_cr4() | CR4_PGE);        /* HHDM and kernel leaves are global */

    kmem_init(bi);                          /* tracker, allocator, mapper; drops identity map */
    apic_init_bsp(bi);                      /* xAPIC or x2APIC; legacy PICs masked */
    smp_quiesce_firmware_aps(bi);           /* INIT: the firmware's parked APs stop now */
    fbcon_init(bi);                         /* from here on, output shows on screen too */
    timer_calibrate(bi);                    /* TSC against the PIT: timeline, SIPI delays */
    report_boot(bi);
    fbcon_draw_memory_picture(&kmem.pm);
    apic_timer_calibrate();                 /* LAPIC timer against the TSC: sleeping waits */
    struct smp_options smp = smp_options(bi->cmdline);
    smp_boot(bi, &smp);
    __asm__ volatile("sti");                /* IPIs only: shootdowns, wake-ups */
    crash_if_asked(bi->cmdline);
    selftest_run(bi, trap_test_mode, &checks);
    selftest_smp(bi, trap_test_mode, &checks);
    uspace_init();                          /* PCIDs on where the CPU has them */
    selftest_aspace(&checks);
    selftest_ptaccess(&checks);

    bool pass = selftest_verdict(&checks);
    if (trap_test_mode)
        qemu_exit(pass ? EXIT_PASS : EXIT_FAIL);
    halt_forever();
}
