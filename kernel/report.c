/* The boot report: `pagoda:` lines of key=value pairs that scripts parse
 * (format in README "Boot report"), printed at every boot. */
#include "fmt.h"
#include "kernel.h"
#include "x86/cpu.h"


static void report_memory(void)
{
    uint64_t totals[PMEM_TYPE_COUNT], sum = 0;

    falloc_totals(&kmem.fa, totals);
    for (int t = PMEM_USABLE; t < PMEM_TYPE_COUNT; t++) {
        if (!totals[t])
            continue;
        kprintf("pagoda: memory type=%s bytes=%lu\n", pmem_type_name(t), (unsigned long)totals[t]);
        sum += totals[t];
    }
    kprintf("pagoda: memory total=%lu ranges=%lu\n", (unsigned long)sum, (unsigned long)kmem.pm.count);
}

/* Phases in microseconds, then the raw stamps (tsc_*=) so a harness can put
 * this boot beside another loader's on the same clock (TCG's TSC counts
 * from VM start). over_exit_us: loader entry to all CPUs online minus the
 * firmware's own ExitBootServices, the figure the time budget bounds
 * (docs/design.md). */
static void report_timeline(const struct bootinfo *bi, const struct boot_stamps *t)
{
    uint64_t total_us = timer_ticks_to_us(t->all_online - bi->tsc_loader_entry);
    uint64_t exit_us = timer_ticks_to_us(bi->tsc_after_exit - bi->tsc_before_exit);

    kprintf("pagoda: timeline loader_us=%lu exit_us=%lu handoff_us=%lu kernel_us=%lu bringup_us=%lu "
            "total_us=%lu over_exit_us=%lu tsc_loader_entry=%lu tsc_exit_return=%lu "
            "tsc_kernel_entry=%lu tsc_all_online=%lu mm_us=%lu\n",
            (unsigned long)timer_ticks_to_us(bi->tsc_before_exit - bi->tsc_loader_entry),
            (unsigned long)exit_us,
            (unsigned long)timer_ticks_to_us(t->kernel_entry - bi->tsc_after_exit),
            (unsigned long)timer_ticks_to_us(t->bringup_start - t->kernel_entry),
            (unsigned long)timer_ticks_to_us(t->all_online - t->bringup_start),
            (unsigned long)total_us, (unsigned long)(total_us - exit_us),
            (unsigned long)bi->tsc_loader_entry, (unsigned long)bi->tsc_after_exit,
            (unsigned long)t->kernel_entry, (unsigned long)t->all_online,
            (unsigned long)timer_ticks_to_us(kmem.tsc_ready - t->kernel_entry));
}

/* The timeline's loader and kernel shares split at their steps' ends, in
 * microseconds (0 for a step that did not run): where the time goes,
 * phase by phase (docs/design.md, "Time budget"). */
static const char *const loader_step_names[BI_STEP_COUNT] = {
    [BI_STEP_INIT] = "init",         [BI_STEP_CONFIG] = "config",     [BI_STEP_KERNEL] = "kernel",
    [BI_STEP_MEMORY] = "memory",     [BI_STEP_CPUS] = "cpus",         [BI_STEP_PLATFORM] = "platform",
    [BI_STEP_DRY_RUN] = "dry_run",
};

static uint64_t step_us(uint64_t from, uint64_t to)
{
    return from && to >= from ? timer_ticks_to_us(to - from) : 0;
}

static void report_phases(const struct bootinfo *bi, const struct boot_stamps *t)
{
    char line[BI_STEP_COUNT * 40];   /* " loader_platform_us=" + 20 digits < 40 each */
    size_t n = 0;
    uint64_t prev = bi->tsc_loader_entry;

    for (int s = 0; s < BI_STEP_COUNT; s++) {
        uint64_t end = bi->tsc_loader_steps[s];
        n += (size_t)fmt_snprintf(line + n, sizeof(line) - n, " loader_%s_us=%lu", loader_step_names[s],
                          (unsigned long)step_us(prev, end));
        if (end)
            prev = end;
    }
    kprintf("pagoda: phases%s loader_exit_prep_us=%lu kernel_early_us=%lu kernel_mm_us=%lu "
            "kernel_apic_us=%lu kernel_timer_us=%lu kernel_apic_timer_us=%lu kernel_smp_prep_us=%lu\n",
            line, (unsigned long)step_us(prev, bi->tsc_before_exit),
            (unsigned long)step_us(t->kernel_entry, t->early),
            (unsigned long)step_us(t->early, kmem.tsc_ready),
            (unsigned long)step_us(kmem.tsc_ready, t->apic),
            (unsigned long)step_us(t->apic, t->timer),
            (unsigned long)step_us(t->timer, t->apic_timer),
            (unsigned long)step_us(t->apic_timer, t->bringup_start));
}

/* Measured boot as the loader left it (docs/secure-boot.md): where the
 * event log is, so a kernel can replay it against the TPM. */
static void report_chain(const struct bootinfo *bi)
{
    kprintf("pagoda: tpm event_log=0x%lx bytes=%lu format=%s final_events=0x%lx secure_boot=%s "
            "verified=%s measured=%s\n",
            (unsigned long)bi->tpm_event_log, (unsigned long)bi->tpm_event_log_size,
            bi->tpm_event_log_format == BI_TPM_LOG_TCG2 ? "tcg2" : "none",
            (unsigned long)bi->tpm_final_events,
            (bi->boot_flags & BI_BOOT_SECURE_BOOT) ? "on" : "off",
            (bi->boot_flags & BI_BOOT_VERIFIED) ? "yes" : "no",
            (bi->boot_flags & BI_BOOT_MEASURED) ? "yes" : "no");
}

void report_boot(const struct bootinfo *bi, const struct boot_stamps *t)
{
    timer_report();
    kprintf("pagoda: hhdm base=0x%lx page=%s end=0x%lx levels=%u\n", (unsigned long)bi->hhdm_base,
            bi->hhdm_page_size == PAGE_SIZE_1G ? "1G" : "2M", (unsigned long)bi->hhdm_end,
            bi->paging_levels);
    kprintf("pagoda: kernel phys=0x%lx virt=0x%lx size=%lu\n", (unsigned long)bi->kernel_phys,
            (unsigned long)bi->kernel_virt, (unsigned long)bi->kernel_size);
    report_memory();
    kprintf("pagoda: pagetables frames=%lu minimum=%lu\n", (unsigned long)bi->pt_frames_used,
            (unsigned long)bi->pt_frames_min);
    kprintf("pagoda: cpus expected=%u source=%s bsp_apic=%u firmware_aps_init=%s\n", bi->cpu_count,
            bi->cpus_from_mp ? "mp-services" : "none", bi->bsp_apic_id,
            bi->cpu_count <= 1 ? "none" : (bi->boot_flags & BI_BOOT_APS_INIT) ? "loader" : "kernel");
    kprintf("pagoda: firmware descriptors=%u exit_attempts=%u rsdp=0x%lx fb=0x%lx %ux%u\n",
            bi->firmware_desc_count, bi->exit_attempts, (unsigned long)bi->rsdp,
            (unsigned long)bi->fb.base, bi->fb.width, bi->fb.height);
    report_chain(bi);
    report_timeline(bi, t);
    report_phases(bi, t);
}
