/* Deliberate crashes, on request only (`pagoda.crash=null|stack|ud` on the
 * command line): the boot tests use them to prove that an unexpected fault
 * is reported (vector, error, RIP, CR2, CPU, backtrace) and stops the
 * machine instead of rebooting it, and that a stack overflow ends in a
 * double fault handled on its own IST stack. */
#include "kernel.h"

#define CRASH_FRAME_BYTES 1024

static const char *crash_kind(const char *cmdline)
{
    static const char key[] = "pagoda.crash=";
    for (const char *p = cmdline; *p; p++) {
        if ((p == cmdline || p[-1] == ' ') && __builtin_memcmp(p, key, sizeof(key) - 1) == 0)
            return p + sizeof(key) - 1;
    }
    return NULL;
}

static bool word_is(const char *s, const char *word)
{
    while (*word && *s == *word) {
        s++;
        word++;
    }
    return *word == '\0' && (*s == '\0' || *s == ' ');
}

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

void crash_if_asked(const char *cmdline)
{
    const char *kind = crash_kind(cmdline);

    if (!kind)
        return;
    kprintf("pagoda: crashing on purpose (pagoda.crash)\n");
    if (word_is(kind, "null"))
        (void)*(volatile uint64_t *)0; // cppcheck-suppress nullPointer
    else if (word_is(kind, "stack"))
        (void)overflow(0);
    else if (word_is(kind, "ud"))
        __asm__ volatile("ud2");
    kprintf("pagoda: unknown pagoda.crash kind; not crashing\n");
}
