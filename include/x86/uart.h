/* 16550 UART on a legacy I/O port (COM1): polled output only, one byte per
 * THRE poll. Used by the loader and by the kernel, where nothing else is
 * left to print through. Tried and not kept: a FIFO's worth (16 bytes) per
 * poll, as Linux's 8250 driver does; under QEMU it slowed every later port
 * access (the kernel's PIT calibration took 8-44 ms instead of 1). */
#ifndef PAGODA_X86_UART_H
#define PAGODA_X86_UART_H

#include "cpu.h"

#define UART_DATA   0   /* THR/RBR, or divisor low with DLAB */
#define UART_IER    1   /* interrupt enable, or divisor high with DLAB */
#define UART_FCR    2
#define UART_LCR    3
#define UART_MCR    4
#define UART_LSR    5
#define UART_LCR_DLAB  0x80
#define UART_LCR_8N1   0x03
#define UART_FCR_ENABLE_CLEAR 0x07
#define UART_MCR_DTR_RTS 0x03
#define UART_LSR_THRE  0x20   /* transmit holding register empty */
#define UART_DIVISOR_115200 1
#define UART_SPIN_LIMIT 100000 /* a missing UART reads 0xFF/0x00: never spin forever */

static inline void uart_init(uint16_t port)
{
    outb(port + UART_IER, 0);
    outb(port + UART_LCR, UART_LCR_DLAB);
    outb(port + UART_DATA, UART_DIVISOR_115200);
    outb(port + UART_IER, 0);
    outb(port + UART_LCR, UART_LCR_8N1);
    outb(port + UART_FCR, UART_FCR_ENABLE_CLEAR);
    outb(port + UART_MCR, UART_MCR_DTR_RTS);
}

static inline void uart_putc(uint16_t port, char c)
{
    for (int i = 0; i < UART_SPIN_LIMIT && !(inb(port + UART_LSR) & UART_LSR_THRE); i++)
        cpu_pause();
    outb(port + UART_DATA, (uint8_t)c);
}

/* A C string, with CRLF line ends for terminals. */
static inline void uart_puts(uint16_t port, const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            uart_putc(port, '\r');
        uart_putc(port, *s);
    }
}

#endif
