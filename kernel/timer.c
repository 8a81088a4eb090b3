/* Time: the TSC's frequency, found once at start-up, then used for delays
 * and timestamps. Sources (include/tsc_calib.h): CPUID 0x15/0x16 where the
 * CPU fills them in, the loader's BS->Stall estimate, and PIT channel 2
 * measured here over a window that grows only until its error bound meets
 * the target. Each source gives an interval; tsc_choose keeps the sources
 * whose intervals agree and refuses absurd ones, since under heavy
 * emulator load one source can be far off (a PIT run once came out 180x
 * low). The boot report names the winner, why, and its bound. */
#include "kernel.h"
#include "tsc_pit.h"
#include "x86/cpu.h"
#include "x86/pit.h"

/* Without a precise source (an exact CPUID 0x15 ratio, the loader's
 * PM-timer estimate) the PIT is the precise one: 0.1%. With one, the PIT
 * only has to confirm it: 1% takes a tenth of the time. */
#define PIT_TARGET_PPM   1000
#define PIT_CONFIRM_PPM  10000
/* Stop before channel 2 counts down past 0 (~51 ms), whatever the bound. */
#define PIT_WINDOW_MAX   0xF000
/* Bounded waits: a count that never moves means no PIT; never hang. */
#define PIT_START_POLLS  20000
#define PIT_RUN_POLLS    2000000
/* A run whose samples cannot all hold (the TSC and the PIT lost their
 * ratio: under an emulator, the vCPU was descheduled between the reads that
 * bracket a latch and the host clock moved on) is discarded and run again:
 * beside 288 busy vCPUs on 2 host cores the one run was discarded and only
 * the loader's wide estimate was left. A discarded run is never averaged
 * in; each run stands alone. */
#define PIT_RUNS         3

static uint64_t tsc_hz;

/* The count is latched by the OUT; the TSC reads bracket that instant,
 * the two data reads that follow do not matter to the timing. */
static struct tsc_pit_sample pit_sample(void)
{
    struct tsc_pit_sample s;

    s.tsc_before = rdtsc();
    outb(PIT_COMMAND, PIT_CMD_CH2_LATCH);
    s.tsc_after = rdtsc();
    s.count = inb(PIT_CH2_DATA);
    s.count |= (uint16_t)(inb(PIT_CH2_DATA) << 8);
    return s;
}

/* Channel 2, mode 0, from PIT_COUNT_MAX, with the speaker off. The counter
 * loads on the first input clock after the write: the first sample taken
 * once the count has moved is from the new run. */
static bool pit_start(struct tsc_pit_sample *first)
{
    uint8_t b = inb(PORT_B) & ~(PORT_B_SPEAKER | PORT_B_GATE2);

    outb(PORT_B, b);                                   /* gate low: counter holds */
    outb(PIT_COMMAND, PIT_CMD_CH2_MODE0);
    outb(PIT_CH2_DATA, PIT_COUNT_MAX & 0xFF);
    outb(PIT_CH2_DATA, PIT_COUNT_MAX >> 8);
    outb(PORT_B, b | PORT_B_GATE2);                    /* gate high: counting starts */
    struct tsc_pit_sample prev = pit_sample();
    for (uint32_t i = 0; i < PIT_START_POLLS; i++) {
        *first = pit_sample();
        if (first->count != prev.count)
            return true;
        prev = *first;
    }
    return false;
}

static struct tsc_estimate pit_measure(uint32_t target_ppm, uint32_t *samples)
{
    struct tsc_pit_sample first, s;
    struct tsc_pit_run run;

    *samples = 0;
    if (!pit_start(&first))
        return (struct tsc_estimate){ 0 };
    tsc_pit_begin(&run, &first);
    for (uint32_t i = 0; i < PIT_RUN_POLLS; i++) {
        s = pit_sample();
        if (tsc_pit_add(&run, &s, target_ppm) != TSC_PIT_MORE || s.count > first.count ||
            first.count - s.count >= PIT_WINDOW_MAX)
            break;
    }
    *samples = run.samples;
    return tsc_pit_result(&run);
}

static void cpuid_sources(struct tsc_estimate in[TSC_SRC_COUNT])
{
    uint32_t max_leaf = cpuid(0, 0).eax;

    if (max_leaf >= CPUID_TSC_CRYSTAL) {
        struct cpuid_regs r = cpuid(CPUID_TSC_CRYSTAL, 0);
        in[TSC_SRC_CPUID15] = tsc_from_cpuid15(r.eax, r.ebx, r.ecx);
    }
    if (max_leaf >= CPUID_FREQUENCY)
        in[TSC_SRC_CPUID16] = tsc_from_cpuid16(cpuid(CPUID_FREQUENCY, 0).eax);
}

/* Up to PIT_RUNS runs until one is steady; none when there is no PIT
 * (its count never moves: no samples). */
static struct tsc_estimate pit_measure_steady(uint32_t target_ppm, uint32_t *samples, uint32_t *runs)
{
    struct tsc_estimate e = { 0 };

    for (*runs = 0; *runs < PIT_RUNS;) {
        e = pit_measure(target_ppm, samples);
        ++*runs;
        if (e.hz || *samples == 0)
            break;
    }
    return e;
}

/* The PIT's verdict, telling a run discarded as unsteady from no PIT. */
static const char *pit_verdict(const struct tsc_choice *c, const struct tsc_estimate *pit, uint32_t samples)
{
    return pit->hz == 0 && samples > 0 ? "unsteady" : tsc_verdict_name(c->verdict[TSC_SRC_PIT]);
}

/* What the calibration saw, kept for the boot report: the line is printed
 * with the report, after the bring-up, not on the path to it (a ~300
 * character line is over a millisecond of UART output under emulation). */
static struct {
    struct tsc_choice choice;
    struct tsc_estimate in[TSC_SRC_COUNT];
    uint64_t loader_hz, calib_ticks;
    uint32_t loader_ppm, pit_samples, pit_runs;
} seen;

void timer_report(void)
{
    const struct tsc_choice *c = &seen.choice;
    const struct tsc_estimate *in = seen.in, *pit = &in[TSC_SRC_PIT];

    kprintf("pagoda: timer tsc_hz=%lu source=%s bound_ppm=%u reason=%s loader_estimate=%lu loader_ppm=%u "
            "calib_us=%lu "
            "pit=%lu:%s pit_ppm=%u pit_samples=%u pit_runs=%u cpuid15=%lu:%s cpuid16=%lu:%s loader=%s\n",
            (unsigned long)c->hz, tsc_source_name(c->source), c->bound_ppm, tsc_reason_name(c->reason),
            (unsigned long)seen.loader_hz, seen.loader_ppm, (unsigned long)timer_ticks_to_us(seen.calib_ticks),
            (unsigned long)pit->hz, pit_verdict(c, pit, seen.pit_samples), pit->hz ? tsc_bound_ppm(pit) : 0,
            seen.pit_samples, seen.pit_runs,
            (unsigned long)in[TSC_SRC_CPUID15].hz, tsc_verdict_name(c->verdict[TSC_SRC_CPUID15]),
            (unsigned long)in[TSC_SRC_CPUID16].hz, tsc_verdict_name(c->verdict[TSC_SRC_CPUID16]),
            tsc_verdict_name(c->verdict[TSC_SRC_LOADER]));
}

/* A source at least as precise as the PIT would be: the PIT then only
 * confirms it (1%, a tenth of the time), and a precise source that the PIT
 * contradicts still loses its place (tsc_choose). */
static bool has_precise_source(const struct tsc_estimate in[TSC_SRC_COUNT])
{
    return tsc_bound_ppm(&in[TSC_SRC_CPUID15]) <= PIT_TARGET_PPM ||
           tsc_bound_ppm(&in[TSC_SRC_LOADER]) <= PIT_TARGET_PPM;
}

void timer_calibrate(const struct bootinfo *bi)
{
    uint64_t t0 = rdtsc();
    struct tsc_estimate *in = seen.in;

    cpuid_sources(in);
    in[TSC_SRC_LOADER] = tsc_from_loader(bi->tsc_hz, bi->tsc_hz_ppm);
    in[TSC_SRC_PIT] = pit_measure_steady(has_precise_source(in) ? PIT_CONFIRM_PPM : PIT_TARGET_PPM,
                                         &seen.pit_samples, &seen.pit_runs);
    if (tsc_choose(in, &seen.choice) != 0)
        panic("timer: no plausible TSC frequency: pit=%lu loader=%lu cpuid15=%lu cpuid16=%lu",
              (unsigned long)in[TSC_SRC_PIT].hz, (unsigned long)bi->tsc_hz,
              (unsigned long)in[TSC_SRC_CPUID15].hz, (unsigned long)in[TSC_SRC_CPUID16].hz);
    tsc_hz = seen.choice.hz;
    seen.loader_hz = bi->tsc_hz;
    seen.loader_ppm = bi->tsc_hz_ppm;
    seen.calib_ticks = rdtsc() - t0;
}

uint64_t timer_us_to_ticks(uint64_t us)
{
    return us * (tsc_hz / US_PER_SECOND);
}

uint64_t timer_ticks_to_us(uint64_t ticks)
{
    return tsc_hz >= US_PER_SECOND ? ticks / (tsc_hz / US_PER_SECOND) : 0;
}

/* Short intervals only: ticks * 1000 overflows past ~10^16 ticks (weeks). */
uint64_t timer_ticks_to_ns(uint64_t ticks)
{
    return tsc_hz >= US_PER_SECOND ? ticks * 1000 / (tsc_hz / US_PER_SECOND) : 0;
}

void timer_delay_us(uint64_t us)
{
    uint64_t end = rdtsc() + timer_us_to_ticks(us);
    while (rdtsc() < end)
        cpu_pause();
}
