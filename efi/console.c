/* Loader output. Before ExitBootServices: the UEFI console (the screen on
 * real machines), plus COM1 unless the firmware already mirrors the console
 * to a UART (OVMF does; writing both would print every line twice).
 * After the exit: COM1 only, by port I/O. */
#include <stdarg.h>

#include "fmt.h"
#include "loader.h"
#include "x86/uart.h"

#define CON_LINE_MAX 256

static bool boot_services_active = true;
static bool mirror_to_uart;          /* write COM1 ourselves before the exit */

/* True when the ConOut variable (a multi-instance device path of the console
 * output devices, UEFI 2.10 3.3) contains a UART node: the firmware then
 * sends console text to a serial port itself. */
static bool firmware_console_has_uart(void)
{
    UINTN size = 0;
    EFI_DEVICE_PATH *dp = LibGetVariableAndSize(L"ConOut", &EfiGlobalVariable, &size);
    bool found = false;

    if (!dp)
        return false;
    for (EFI_DEVICE_PATH *n = dp; (UINTN)((UINT8 *)n - (UINT8 *)dp) + sizeof(*n) <= size;
         n = NextDevicePathNode(n)) {
        if (DevicePathType(n) == MESSAGING_DEVICE_PATH && DevicePathSubType(n) == MSG_UART_DP) {
            found = true;
            break;
        }
        if ((UINTN)DevicePathNodeLength(n) < sizeof(*n))
            break; /* malformed: stop rather than loop */
    }
    uefi_call_wrapper(BS->FreePool, 1, dp);   /* fails only for a foreign buffer */
    return found;
}

void con_init(void)
{
    uart_init(COM1_PORT);
    mirror_to_uart = !firmware_console_has_uart();
}

void con_after_exit(void)
{
    boot_services_active = false;
}

static void uart_puts(const char *s)
{
    for (; *s; s++) {
        if (*s == '\n')
            uart_putc(COM1_PORT, '\r');
        uart_putc(COM1_PORT, *s);
    }
}

/* ConOut takes UCS-2 and wants CRLF. */
static void conout_puts(const char *s)
{
    CHAR16 wide[CON_LINE_MAX * 2 + 1];
    UINTN n = 0;

    for (; *s && n + 2 < ARRAY_LEN(wide); s++) {
        if (*s == '\n')
            wide[n++] = L'\r';
        wide[n++] = (CHAR16)(unsigned char)*s;
    }
    wide[n] = 0;
    /* A failing console has nowhere to report to; COM1 gets the line too
     * unless the firmware already mirrors ConOut there. */
    uefi_call_wrapper(ST->ConOut->OutputString, 2, ST->ConOut, wide);
}

void con_printf(const char *fmt, ...)
{
    char line[CON_LINE_MAX];
    va_list ap;

    va_start(ap, fmt);
    fmt_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);

    if (boot_services_active) {
        conout_puts(line);
        if (mirror_to_uart)
            uart_puts(line);
    } else {
        uart_puts(line);
    }
}

/* Keep a message on screen for `microseconds`, or until a key is pressed. */
void con_pause_for_user(UINTN microseconds)
{
    const UINTN step_us = 10000;
    EFI_INPUT_KEY key;

    if (!boot_services_active)
        return;
    for (UINTN waited = 0; waited < microseconds; waited += step_us) {
        if (uefi_call_wrapper(ST->ConIn->ReadKeyStroke, 2, ST->ConIn, &key) == EFI_SUCCESS)
            return;
        uefi_call_wrapper(BS->Stall, 1, step_us);   /* returns EFI_SUCCESS only */
    }
}

const char *efi_status_str(EFI_STATUS st)
{
    switch (st) {
    case EFI_SUCCESS: return "success";
    case EFI_LOAD_ERROR: return "load error";
    case EFI_INVALID_PARAMETER: return "invalid parameter";
    case EFI_UNSUPPORTED: return "unsupported";
    case EFI_BAD_BUFFER_SIZE: return "bad buffer size";
    case EFI_BUFFER_TOO_SMALL: return "buffer too small";
    case EFI_NOT_READY: return "not ready";
    case EFI_DEVICE_ERROR: return "device error";
    case EFI_OUT_OF_RESOURCES: return "out of resources";
    case EFI_VOLUME_CORRUPTED: return "volume corrupted (short read)";
    case EFI_NOT_FOUND: return "not found";
    case EFI_ACCESS_DENIED: return "access denied";
    case EFI_ABORTED: return "aborted";
    default: return "error";
    }
}
