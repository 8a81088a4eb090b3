/* Minimal runtime for the ELF-kind test kernels (tests/elf/): COM1 output
 * and QEMU's isa-debug-exit, nothing else. The kernels are entered by the
 * Pagoda loader with Pagoda's protocol (RDI = boot info through the direct
 * map, a stack, interrupts off) and only look at their own image. Each
 * prints "elftest: check NAME=pass|fail" lines and one
 * "elftest: result=pass|fail", then exits QEMU with 0x10 (pass) or 0x11.
 * Port numbers are the PC's and QEMU's, written here on purpose rather
 * than taken from include/: these kernels test the loader from outside. */
#ifndef ELFTEST_H
#define ELFTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ELFTEST_COM1      0x3f8
#define ELFTEST_EXIT_PORT 0xf4
#define ELFTEST_EXIT_PASS 0x10   /* QEMU exit status (0x10 << 1) | 1 = 33 */
#define ELFTEST_EXIT_FAIL 0x11

static inline void elftest_outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void elftest_puts(const char *s)
{
    for (; *s; s++)
        elftest_outb(ELFTEST_COM1, (uint8_t)*s);
}

static inline void elftest_hex(uint64_t x)
{
    elftest_puts("0x");
    for (int sh = 60; sh >= 0; sh -= 4)
        elftest_outb(ELFTEST_COM1, (uint8_t)"0123456789abcdef"[(x >> sh) & 0xf]);
}

/* One check line; returns ok so that callers can AND the results. */
static inline bool elftest_check(const char *name, bool ok)
{
    elftest_puts("elftest: check ");
    elftest_puts(name);
    elftest_puts(ok ? "=pass\n" : "=fail\n");
    return ok;
}

static inline __attribute__((noreturn)) void elftest_finish(bool ok)
{
    elftest_puts(ok ? "elftest: result=pass\n" : "elftest: result=fail\n");
    elftest_outb(ELFTEST_EXIT_PORT, ok ? ELFTEST_EXIT_PASS : ELFTEST_EXIT_FAIL);
    for (;;)
        __asm__ volatile("cli; hlt");
}

/* Where a function or an object runs, from RIP: no relocation involved.
 * The object must be static or hidden (RIP-relative in PIC code). */
#define ELFTEST_RIP_FN(sym) ({                                     \
        uintptr_t a_;                                               \
        __asm__("lea " #sym "(%%rip), %0" : "=r"(a_));              \
        a_; })
#define ELFTEST_RIP_OBJ(obj) ({                                    \
        uintptr_t a_;                                               \
        __asm__("lea %1, %0" : "=r"(a_) : "m"(obj));                \
        a_; })

#endif
