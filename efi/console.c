/* Loader output, two kinds.
 * - Problems (con_printf): before ExitBootServices the UEFI console (the
 *   screen on real machines), plus COM1 unless the firmware already mirrors
 *   the console to a UART (OVMF does; writing both would print every line
 *   twice). After the exit: COM1 only, by port I/O.
 * - Progress (con_note): kept in a log that the kernel writes to COM1 and
 *   shows on its screen once every CPU is online (bootinfo.loader_log).
 *   Output is the slowest thing a loader does: a line through the
 *   firmware's text console costs about a millisecond under emulation (it
 *   renders glyphs into the GOP framebuffer), a line on COM1 ~0.4 ms under
 *   QEMU and ~8 ms on a real 16550 at 115200 baud; a boot that goes well
 *   pays neither before its CPUs are up. Invariant: no note is lost and none
 *   comes late where it matters: the first problem line (or con_show_notes)
 *   puts every note kept so far on the screen and COM1 first, in order, so
 *   a refusal is shown with its context; a note that no longer fits the log
 *   goes to COM1 at once, after the ones before it; and con_notes_direct
 *   (pagoda.serial=sync, or a kernel that will not write the log) sends
 *   every note to COM1 as it is printed. */
#include <stdarg.h>
#include <string.h>

#include "fmt.h"
#include "loader.h"
#include "x86/uart.h"

#define CON_LINE_MAX 256

static bool boot_services_active = true;
static bool mirror_to_uart;          /* write COM1 ourselves before the exit */

/* Notes not yet on the screen, NUL-terminated; a note that does not fit is
 * cut and the log ends with a mark saying so (COM1 has it whole). */
static char notes[BOOTINFO_LOADER_LOG_MAX];
static size_t notes_len;             /* bytes in notes[] */
static size_t notes_shown;           /* of those, already on the screen */
static size_t notes_on_uart;         /* of those, already on COM1 */
static bool notes_full;
static bool notes_direct;            /* every note to COM1 as it comes */
static const char notes_cut[] = "[loader log full: the rest is on COM1]\n";

/* The notes not yet on COM1, in order (notes[] is NUL-terminated). */
static void notes_to_uart(void)
{
    uart_puts(COM1_PORT, notes + notes_on_uart);
    notes_on_uart = notes_len;
}


/* Does the device path (`size` bytes at most, SIZE_MAX: up to its end
 * node) contain a UART node? */
static bool device_path_has_uart(EFI_DEVICE_PATH *dp, UINTN size)
{
    for (EFI_DEVICE_PATH *n = dp; (UINTN)((UINT8 *)n - (UINT8 *)dp) + sizeof(*n) <= size;
         n = NextDevicePathNode(n)) {
        if (DevicePathType(n) == MESSAGING_DEVICE_PATH && DevicePathSubType(n) == MSG_UART_DP)
            return true;
        if (size == SIZE_MAX && IsDevicePathEnd(n))
            return false;
        if ((UINTN)DevicePathNodeLength(n) < sizeof(*n))
            return false; /* malformed: stop rather than loop */
    }
    return false;
}

/* True when the ConOut variable (a multi-instance device path of the console
 * output devices, UEFI 2.10 3.3) contains a UART node: the firmware then
 * sends console text to a serial port itself. */
static bool firmware_console_has_uart(void)
{
    UINTN size = 0;
    EFI_DEVICE_PATH *dp = LibGetVariableAndSize(L"ConOut", &EfiGlobalVariable, &size);
    bool found;

    if (!dp)
        return false;
    found = device_path_has_uart(dp, size);
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

/* Text outputs take UCS-2 and want CRLF. */
static void conout_puts_to(SIMPLE_TEXT_OUTPUT_INTERFACE *out, const char *s)
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
    uefi_call_wrapper(out->OutputString, 2, out, wide);
}

static void conout_puts(const char *s)
{
    conout_puts_to(ST->ConOut, s);
}

/* The notes are on COM1 already. Where the firmware mirrors ConOut to a
 * UART, replaying them through ConOut would print them there twice, so they
 * go to each text output that is not a serial terminal instead: the
 * handles with a device path and no UART node (the graphics console's;
 * the console splitter's own handle has no device path, the terminal's
 * ends in a UART). */
#define SCREEN_OUTPUTS_MAX 4

static UINTN screen_outputs(SIMPLE_TEXT_OUTPUT_INTERFACE *out[SCREEN_OUTPUTS_MAX])
{
    EFI_HANDLE *handles = NULL;
    UINTN count = 0, n = 0;

    if (uefi_call_wrapper(BS->LocateHandleBuffer, 5, ByProtocol, &TextOutProtocol, NULL, &count,
                          &handles) != EFI_SUCCESS)
        return 0;   /* no text output at all: nothing to show the notes on */
    for (UINTN i = 0; i < count && n < SCREEN_OUTPUTS_MAX; i++) {
        EFI_DEVICE_PATH *dp = NULL;
        if (uefi_call_wrapper(BS->HandleProtocol, 3, handles[i], &DevicePathProtocol, (void **)&dp) !=
                EFI_SUCCESS || device_path_has_uart(dp, SIZE_MAX) ||
            uefi_call_wrapper(BS->HandleProtocol, 3, handles[i], &TextOutProtocol, (void **)&out[n]) !=
                EFI_SUCCESS)
            continue;
        n++;
    }
    uefi_call_wrapper(BS->FreePool, 1, handles);   /* fails only for a foreign buffer */
    return n;
}

/* Put the notes not yet shown on the screen, and those not yet on COM1
 * there. */
void con_show_notes(void)
{
    SIMPLE_TEXT_OUTPUT_INTERFACE *out[SCREEN_OUTPUTS_MAX] = { ST->ConOut };
    UINTN nout = 1;
    char chunk[CON_LINE_MAX];

    notes_to_uart();
    if (!boot_services_active || notes_shown == notes_len)
        return;
    if (!mirror_to_uart)
        nout = screen_outputs(out);
    while (notes_shown < notes_len) {
        size_t n = MIN(notes_len - notes_shown, sizeof(chunk) - 1);
        memcpy(chunk, notes + notes_shown, n);
        chunk[n] = '\0';
        for (UINTN i = 0; i < nout; i++)
            conout_puts_to(out[i], chunk);
        notes_shown += n;
    }
}

/* Invariant: notes_len + sizeof(notes_cut) <= sizeof(notes) until full, so
 * the mark always fits. Returns whether the line was kept. */
static bool notes_append(const char *line)
{
    size_t n = strlen(line);

    if (notes_full)
        return false;
    if (notes_len + n + sizeof(notes_cut) > sizeof(notes)) {
        memcpy(notes + notes_len, notes_cut, sizeof(notes_cut));   /* with its NUL */
        notes_len += sizeof(notes_cut) - 1;
        notes_full = true;
        return false;
    }
    memcpy(notes + notes_len, line, n + 1);
    notes_len += n;
    return true;
}

static void note(const char *line)
{
    bool kept = notes_append(line);

    if (!kept || notes_direct)
        notes_to_uart();
    if (!kept)
        uart_puts(COM1_PORT, line);
}

void con_notes_direct(void)
{
    notes_direct = true;
    notes_to_uart();
}

size_t con_notes_on_uart(void)
{
    return notes_on_uart;
}

const char *con_notes(void)
{
    return notes;
}

static void problem(const char *line)
{
    con_show_notes();   /* after the exit: COM1 only */
    if (boot_services_active) {
        conout_puts(line);
        if (mirror_to_uart)
            uart_puts(COM1_PORT, line);
    } else {
        uart_puts(COM1_PORT, line);
    }
}

/* Format one line, then emit it as a note or a problem. */
static void emit(void (*how)(const char *line), const char *fmt, va_list ap)
{
    char line[CON_LINE_MAX];

    fmt_vsnprintf(line, sizeof(line), fmt, ap);
    how(line);
}

void con_note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    emit(note, fmt, ap);
    va_end(ap);
}

void con_printf(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    emit(problem, fmt, ap);
    va_end(ap);
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
