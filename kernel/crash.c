/* Deliberate crashes, on request only (`pagoda.crash=null|stack|ud` on the
 * command line): the boot tests use them to prove that an unexpected fault
 * is reported (vector, error, RIP, CR2, CPU, backtrace) and stops the
 * machine instead of rebooting it, and that a stack overflow ends in a
 * double fault handled on its own IST stack. With `pagoda.crash.early` the
 * crash comes before the bring-up, while the screen is not set up yet: the
 * report must still reach it, after the loader's and the kernel's lines. */
#include "kernel.h"

#define CRASH_FRAME_BYTES 1024

/* Each frame holds a kilobyte the compiler cannot drop; the recursion runs
 * into the guard page below the stack. The #PF cannot push its frame on the
 * same stack, which makes it a #DF, taken on IST1. */
#define CRASH_DEPTH_LIMIT (1u << 20)   /* far past any stack: only the guard page stops it */

static __attribute__((noinline)) uint64_t overflow(uint64_t depth)
{
    volatile uint8_t frame[CRASH_FRAME_BYTES];
    frame[0] = (uint8_t)depth;
    if (depth == CRASH_DEPTH_LIMIT)
        return frame[0];
    return overflow(depth + 1) + frame[0];
}

void crash_if_asked(const char *cmdline, bool early)
{
    const char *kind = cmdline_value(cmdline, "pagoda.crash");

    if (!kind || cmdline_has(cmdline, "pagoda.crash.early") != early)
        return;
    kprintf("pagoda: crashing on purpose (pagoda.crash)\n");
    if (cmdline_value_is(kind, "null"))
        (void)*(volatile uint64_t *)0; // cppcheck-suppress nullPointer
    else if (cmdline_value_is(kind, "stack"))
        (void)overflow(0);
    else if (cmdline_value_is(kind, "ud"))
        __asm__ volatile("ud2");
    kprintf("pagoda: unknown pagoda.crash kind; not crashing\n");
}
