/* Report lines on COM1 and QEMU's debug console (port 0xE9), the verdict
 * tally, and the exit through isa-debug-exit. A tiny printf: %s %c %d %u %x
 * with an optional l (64-bit), %p; nothing else. Single-threaded: only the BSP
 * prints (APs record into memory). */
#include <stdarg.h>
#include "lk_kernel.h"
#include "lk_x86.h"

#define SERIAL_SPIN_LIMIT 100000

static unsigned lk_checks, lk_failed, lk_missing_count;
static const char *lk_current = "startup";

const char *lk_check_begin(const char *name)
{
    lk_current = name;
    return name;
}

const char *lk_current_check(void);
const char *lk_current_check(void)
{
    return lk_current;
}

static void put_char(char c)
{
    for (int i = 0; i < SERIAL_SPIN_LIMIT && !(inb(COM1 + COM_LSR) & COM_LSR_THRE); i++)
        cpu_relax();
    outb(COM1, (uint8_t)c);
    outb(QEMU_DEBUGCON, (uint8_t)c);
}

static void put_str(const char *s)
{
    while (*s)
        put_char(*s++);
}

struct sink { char *buf; size_t size, len; };

static void sink_put(struct sink *s, char c)
{
    if (s->len + 1 < s->size)
        s->buf[s->len] = c;
    s->len++;
}

static void sink_num(struct sink *s, uint64_t v, unsigned base, int negative)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = "0123456789abcdef"[v % base];
        v /= base;
    } while (v);
    if (negative)
        sink_put(s, '-');
    while (n)
        sink_put(s, tmp[--n]);
}

static void sink_format(struct sink *s, const char *fmt, va_list ap)
{
    for (; *fmt; fmt++) {
        if (*fmt != '%') {
            sink_put(s, *fmt);
            continue;
        }
        int is_long = 0;
        if (*++fmt == 'l') {
            is_long = 1;
            fmt++;
        }
        switch (*fmt) {
        case 's': {
            const char *str = va_arg(ap, const char *);
            for (str = str ? str : "(null)"; *str; str++)
                sink_put(s, *str);
            break;
        }
        case 'c': sink_put(s, (char)va_arg(ap, int)); break;
        case 'd': {
            int64_t v = is_long ? va_arg(ap, int64_t) : va_arg(ap, int);
            sink_num(s, v < 0 ? (uint64_t)-v : (uint64_t)v, 10, v < 0);
            break;
        }
        case 'u': sink_num(s, is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 10, 0); break;
        case 'x': sink_num(s, is_long ? va_arg(ap, uint64_t) : va_arg(ap, unsigned), 16, 0); break;
        case 'p':
            sink_put(s, '0');
            sink_put(s, 'x');
            sink_num(s, (uint64_t)(uintptr_t)va_arg(ap, void *), 16, 0);
            break;
        case '%': sink_put(s, '%'); break;
        default: sink_put(s, '?'); break;
        }
    }
    if (s->size)
        s->buf[s->len < s->size ? s->len : s->size - 1] = 0;
}

int lk_snprintf(char *buf, size_t size, const char *fmt, ...)
{
    struct sink s = { buf, size, 0 };
    va_list ap;
    va_start(ap, fmt);
    sink_format(&s, fmt, ap);
    va_end(ap);
    return (int)s.len;
}

static void emit(const char *prefix, const char *name, const char *verdict, const char *fmt, va_list ap)
{
    char line[256];
    struct sink s = { line, sizeof line, 0 };
    sink_format(&s, fmt, ap);
    put_str(prefix);
    if (name) {
        put_str(name);
        put_char('=');
        put_str(verdict);
        if (line[0])
            put_char(' ');
    }
    put_str(line);
    put_char('\n');
}

void lk_log(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("lk: ", NULL, "", fmt, ap);
    va_end(ap);
}

void lk_pass(const char *name, const char *fmt, ...)
{
    va_list ap;
    lk_checks++;
    va_start(ap, fmt);
    emit("lk: check ", name, "pass", fmt, ap);
    va_end(ap);
}

void lk_fail(const char *name, const char *fmt, ...)
{
    va_list ap;
    lk_checks++;
    lk_failed++;
    va_start(ap, fmt);
    emit("lk: check ", name, "fail", fmt, ap);
    va_end(ap);
}

static void emit_plain(const char *name, const char *verdict, ...)
{
    va_list ap;
    va_start(ap, verdict);
    emit("lk: check ", name, verdict, "", ap);
    va_end(ap);
}

void lk_missing(const char *name)
{
    lk_checks++;
    lk_missing_count++;
    emit_plain(name, "missing");
}

void lk_finish(void)
{
    lk_log("result=%s checks=%u missing=%u", lk_failed ? "fail" : "pass", lk_checks, lk_missing_count);
    outb(QEMU_EXIT_PORT, lk_failed ? QEMU_EXIT_FAIL : QEMU_EXIT_PASS);
    for (;;)        /* no isa-debug-exit device: park */
        __asm__ volatile("cli; hlt");
}
