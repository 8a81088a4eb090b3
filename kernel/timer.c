/* Time: the TSC, calibrated once against the legacy PIT's channel 2 (the
 * one whose gate software controls through port 0x61, and whose output can
 * be polled there), then used for delays and timestamps. The PIT runs at a
 * fixed 1.193182 MHz on every PC, which is why it is the reference here; the
 * loader's estimate (BS->Stall) is only a fallback. */
#include "kernel.h"
#include "x86/cpu.h"

#define PIT_HZ             1193182ULL
#define PIT_CH2_DATA       0x42
#define PIT_COMMAND        0x43
#define PIT_CMD_CH2_MODE0  0xB0   /* channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count) */
#define PORT_B             0x61   /* NMI status and control: PIT ch2 gate and output */
#define PORT_B_GATE2       0x01
#define PORT_B_SPEAKER     0x02
#define PORT_B_OUT2        0x20
#define CALIBRATION_MS     10
#define CALIBRATION_COUNT  (PIT_HZ * CALIBRATION_MS / 1000)
#define POLL_LIMIT         100000000ULL   /* no PIT at all: give up, never hang */
#define US_PER_SECOND      1000000ULL

static uint64_t tsc_hz;

/* One measurement: TSC ticks while PIT channel 2 counts CALIBRATION_COUNT
 * down. 0 if the output never rose (no PIT). */
static uint64_t measure_once(void)
{
    uint8_t b = inb(PORT_B) & ~(PORT_B_SPEAKER | PORT_B_GATE2);
    outb(PORT_B, b);                                  /* gate low: counter holds */
    outb(PIT_COMMAND, PIT_CMD_CH2_MODE0);
    outb(PIT_CH2_DATA, CALIBRATION_COUNT & 0xFF);
    outb(PIT_CH2_DATA, (CALIBRATION_COUNT >> 8) & 0xFF);
    outb(PORT_B, b | PORT_B_GATE2);                   /* gate high: counting starts */
    uint64_t start = rdtsc();
    for (uint64_t i = 0; i < POLL_LIMIT; i++)
        if (inb(PORT_B) & PORT_B_OUT2)
            return rdtsc() - start;
    return 0;
}

/* Best (shortest) of three, which discards runs stretched by the host
 * descheduling a vCPU. */
void timer_calibrate(const struct bootinfo *bi)
{
    uint64_t best = 0;

    for (int i = 0; i < 3; i++) {
        uint64_t t = measure_once();
        if (t && (!best || t < best))
            best = t;
    }
    tsc_hz = best ? best * PIT_HZ / CALIBRATION_COUNT : bi->tsc_hz;
    kprintf("pagoda: timer tsc_hz=%lu source=%s loader_estimate=%lu\n", (unsigned long)tsc_hz,
            best ? "pit" : "loader", (unsigned long)bi->tsc_hz);
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
