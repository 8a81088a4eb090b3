/* kmain: the kernel's top-level sequence, one named step per line. */
#include "aspace_cpu.h"
#include "fbcon.h"
#include "kernel.h"
#include "x86/cpu.h"
#include "x86/pte.h"

#define TEST_MODE_FLAG   "pagoda.test"
#define SMP_KEY          "pagoda.smp"            /* =serial: one AP at a time, the baseline */
#define SMP_WITHHOLD_KEY "pagoda.smp.withhold"   /* =APIC ID: a CPU that never answers */
#define SMP_LATE_KEY     "pagoda.smp.late"       /* =APIC ID: a CPU that answers too late */
#define SMP_DEAF_KEY     "pagoda.smp.deaf"       /* =APIC ID: a CPU that stops answering */
#define SMP_INIT_DELAY_KEY "pagoda.smp.init_delay" /* =legacy: the SDM's waits on any CPU */
#define STOP_KEY         "pagoda.stop"           /* =online: end after the report (make bench) */

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
    bool levels_ok = bi->paging_levels == PT_LEVELS_MIN || bi->paging_levels == PT_LEVELS_MAX;
    if (!levels_ok || bi->hhdm_base != hhdm_window_base((int)bi->paging_levels) ||
        ((read_cr4() & CR4_LA57) != 0) != (bi->paging_levels == PT_LEVELS_MAX) ||
        bi->pmem_count == 0 || bi->pmem_count > bi->pmem_capacity)
        panic("boot info: inconsistent (levels %u, CR4.LA57 %d, hhdm 0x%lx, %lu of %lu tracker entries)",
              bi->paging_levels, (read_cr4() & CR4_LA57) != 0, (unsigned long)bi->hhdm_base,
              (unsigned long)bi->pmem_count, (unsigned long)bi->pmem_capacity);
    kmem_set_layout(bi);
    if (bi->cpu_count == 0 || bi->cpu_list == 0 || bi->cpu_entry_size != sizeof(struct bootinfo_cpu))
        panic("boot info: CPU list of %u entries of %u bytes at 0x%lx (expected entries of %u bytes)",
              bi->cpu_count, bi->cpu_entry_size, (unsigned long)bi->cpu_list,
              (unsigned)sizeof(struct bootinfo_cpu));
}

void kmain(struct bootinfo *bi);
void kmain(struct bootinfo *bi)
{
    struct check_result checks;
    struct boot_stamps t = { .kernel_entry = rdtsc() };

    /* Up to every CPU online: only what the bring-up needs (docs/design.md,
     * "Time budget"). What is printed meanwhile reaches the screen when the
     * console starts; an alert starts it at once. */
    wrmsr(MSR_GS_BASE, 0);                 /* this_cpu() is NULL until cpu_init_bsp */
    console_init();
    validate_bootinfo(bi);
    console_keep_loader_log(bi);            /* COM1: the loader's lines, then ours, after the bring-up */
    fbcon_early(bi, bi->loader_log);        /* the screen gets the loader's lines first */
    cpu_init_bsp(bi->bsp_apic_id);          /* GDT, TSS (IST for #DF), GS base */
    trap_init();                            /* every exception reports, none reboots */
    kprintf("pagoda: kernel started\n");
    trap_test_mode = cmdline_has(bi->cmdline, TEST_MODE_FLAG);
    write_cr4(read_cr4() | CR4_PGE);        /* HHDM and kernel leaves are global */
    t.early = rdtsc();

    kmem_init(bi);                          /* tracker, allocator, mapper; drops identity map */
    crash_if_asked(bi->cmdline, true);
    apic_init_bsp(bi);                      /* xAPIC or x2APIC; legacy PICs masked */
    smp_quiesce_firmware_aps(bi);           /* INIT: the firmware's parked APs stop now */
    t.apic = rdtsc();
    timer_calibrate(bi);                    /* TSC: timeline, SIPI delays */
    t.timer = rdtsc();
    apic_timer_calibrate();                 /* LAPIC timer vs TSC: sleeping waits */
    t.apic_timer = rdtsc();
    struct smp_options smp = smp_options(bi->cmdline);
    t.bringup_start = rdtsc();
    t.all_online = smp_boot(bi, &smp);

    /* Every CPU is online and idle: now the screen, the report, the picture. */
    console_start();                        /* COM1: everything kept, then as it comes */
    fbcon_init(bi);                         /* from here on, output shows on screen too */
    report_boot(bi, &t);
    fbcon_draw_memory_picture(&kmem.pm);
    if (trap_test_mode && cmdline_value_is(cmdline_value(bi->cmdline, STOP_KEY), "online")) {
        kprintf("pagoda: stopped after the bring-up (pagoda.stop=online): no checks ran\n");
        qemu_exit(EXIT_PASS);   /* the boot-time benchmark reads the report, nothing else */
    }
    __asm__ volatile("sti");                /* IPIs only: shootdowns, wake-ups */
    crash_if_asked(bi->cmdline, false);
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
