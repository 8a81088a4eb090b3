/* Kernel console: COM1, one line at a time under a spinlock so lines from
 * different CPUs never interleave. Lines are formatted into a buffer first
 * so the lock is held only while bytes go out. */
#include <stdarg.h>

#include "fbcon.h"
#include "fmt.h"
#include "kernel.h"
#include "x86/uart.h"

#define CONSOLE_LINE_MAX 512   /* the timeline and timer lines are near 300 */
/* An alert (fault, panic) waits this long for the lock, then prints anyway:
 * the CPU holding it may be the one that faulted, mid-line. A garbled line
 * beats a silent hang. */
#define ALERT_LOCK_SPINS 10000000ULL

static volatile int console_lock;

/* Returns whether the lock was taken (and must be released). */
static bool lock(enum fbcon_style style)
{
    for (uint64_t spins = 0; __atomic_exchange_n(&console_lock, 1, __ATOMIC_ACQUIRE); spins++) {
        if (style == FBCON_ALERT && spins == ALERT_LOCK_SPINS)
            return false;
        cpu_pause();
    }
    return true;
}

static void unlock(void)
{
    __atomic_store_n(&console_lock, 0, __ATOMIC_RELEASE);
}


void console_init(void)
{
    uart_init(COM1_PORT);
}

static void vprint(enum fbcon_style style, const char *fmt, va_list ap)
{
    char line[CONSOLE_LINE_MAX];

    fmt_vsnprintf(line, sizeof(line), fmt, ap);
    bool locked = lock(style);
    uart_puts(COM1_PORT, line);
    fbcon_write(line, style);
    if (locked)
        unlock();
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(FBCON_NORMAL, fmt, ap);
    va_end(ap);
}

void kalert(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(FBCON_ALERT, fmt, ap);
    va_end(ap);
}

/* A broken invariant: say so, then stop (test mode: with a failing exit
 * status, so a test never waits for its timeout). */
void panic(const char *fmt, ...)
{
    va_list ap;

    __asm__ volatile("cli");
    kalert("pagoda: PANIC on cpu %u: ", this_cpu() ? this_cpu()->index : 0);
    va_start(ap, fmt);
    vprint(FBCON_ALERT, fmt, ap);
    va_end(ap);
    kalert("\npagoda: result=fail reason=panic\n");
    if (trap_test_mode)
        qemu_exit(EXIT_FAIL);
    halt_forever();
}
