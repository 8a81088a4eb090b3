/* Kernel console: COM1, one line at a time under a spinlock so lines from
 * different CPUs never interleave. Lines are formatted into a buffer first
 * so the lock is held only while bytes go out.
 *
 * Until every CPU is online (console_start) nothing is written to COM1:
 * the loader's progress lines (bootinfo.loader_log, from
 * loader_log_on_serial on) and the kernel's own wait, in order, and go out
 * when it starts. A UART line costs ~0.4 ms under QEMU and ~8 ms at 115200
 * baud, which the boot's critical path does not pay (docs/design.md, "Time
 * budget"). An alert (fault, panic) writes everything kept at once, then
 * itself; so does a line that no longer fits, and pagoda.serial=sync turns
 * the keeping off. */
#include <stdarg.h>
#include <string.h>

#include "fbcon.h"
#include "fmt.h"
#include "kernel.h"
#include "x86/uart.h"

#define CONSOLE_LINE_MAX 512   /* the timeline and timer lines are near 300 */
/* An alert (fault, panic) waits this long for the lock, then prints anyway:
 * the CPU holding it may be the one that faulted, mid-line. A garbled line
 * beats a silent hang. */
#define ALERT_LOCK_SPINS 10000000ULL

#define CONSOLE_KEPT_MAX 4096   /* kernel lines before console_start */

static volatile int console_lock;

/* Under console_lock. */
static bool keeping = true;          /* COM1 output kept, not yet written */
static const char *loader_log;       /* its part not yet on COM1, NUL-terminated */
static char kept[CONSOLE_KEPT_MAX];  /* NUL-terminated */
static size_t kept_len;

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

/* Everything kept, in order; from here on lines go straight to COM1. */
static void write_kept(void)
{
    if (!keeping)
        return;
    keeping = false;
    if (loader_log)
        uart_puts(COM1_PORT, loader_log);
    uart_puts(COM1_PORT, kept);
}

void console_keep_loader_log(const struct bootinfo *bi)
{
    size_t len = 0, done = bi->loader_log_on_serial;

    while (len < sizeof(bi->loader_log) && bi->loader_log[len])
        len++;
    bool locked = lock(FBCON_NORMAL);
    if (len < sizeof(bi->loader_log) && done <= len)   /* else not a string: nothing to write */
        loader_log = bi->loader_log + done;
    if (cmdline_value_is(cmdline_value(bi->cmdline, CMDLINE_SERIAL_KEY), "sync"))
        write_kept();
    if (locked)
        unlock();
}

void console_start(void)
{
    bool locked = lock(FBCON_NORMAL);
    write_kept();
    if (locked)
        unlock();
}

static void serial_line(enum fbcon_style style, const char *line)
{
    size_t n = strlen(line);

    if (keeping && style != FBCON_ALERT && kept_len + n < sizeof(kept)) {
        memcpy(kept + kept_len, line, n + 1);
        kept_len += n;
        return;
    }
    write_kept();
    uart_puts(COM1_PORT, line);
}

static void vprint(enum fbcon_style style, const char *fmt, va_list ap)
{
    char line[CONSOLE_LINE_MAX];

    fmt_vsnprintf(line, sizeof(line), fmt, ap);
    bool locked = lock(style);
    serial_line(style, line);
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
