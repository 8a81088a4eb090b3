/* Measured boot: what the loader loads is hashed into the TPM's PCRs with
 * an event-log entry (EFI_TCG2_PROTOCOL.HashLogExtendEvent), before it is
 * used. Which PCR (GRUB's convention, docs/secure-boot.md "Measured
 * boot"): PCR 8 for the configuration (it carries the kernel command
 * line: GRUB's "commands and kernel command line"), PCR 9 for the kernel
 * and every module (GRUB's and Linux's initrd "files loaded"). Without the
 * protocol (no TPM) nothing is measured and the boot goes on; a failed
 * measurement refuses the boot, as a TPM that cannot attest the boot would
 * otherwise attest a different one.
 *
 * After the last measurement, measure_finish copies the event log for the
 * kernel (the firmware's copy lives in boot-services memory) and, with
 * capture=1, reads the SHA-256 PCRs back from the TPM (TPM2_PCR_Read through
 * SubmitCommand) and writes the log to \EFI\pagoda\tpm-eventlog.bin, for
 * tools/tpm-replay and the test that replays the log against the PCRs. */
#include <string.h>

#include "loader.h"
#include "tcg2.h"
#include "tcg_log.h"
#include "tpm2_pcr.h"
#include "fmt.h"

#define MEASURE_DESC_MAX  (CONFIG_PATH_MAX + 32)
#define PCR_READ_RESP_MAX 512
#define PCRS_REPORTED     10                 /* 0-9: the firmware's and ours */
#define EVENTLOG_FILE     L"\\EFI\\pagoda\\tpm-eventlog.bin"

static EFI_TCG2_PROTOCOL *tcg2;
static bool looked;

static EFI_TCG2_PROTOCOL *protocol(void)
{
    static EFI_GUID guid = EFI_TCG2_PROTOCOL_GUID;

    if (!looked) {
        looked = true;
        if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &guid, NULL, (void **)&tcg2)))
            tcg2 = NULL;   /* no TPM 2.0: nothing to measure into */
    }
    return tcg2;
}

bool measure_available(void)
{
    return protocol() != NULL;
}

EFI_STATUS measure_data(unsigned pcr, const char *what, const char *path, const void *data, UINTN size)
{
    static uint8_t buf[sizeof(EFI_TCG2_EVENT) + MEASURE_DESC_MAX];
    EFI_TCG2_EVENT *ev = (EFI_TCG2_EVENT *)buf;
    EFI_TCG2_PROTOCOL *p = protocol();

    if (!p)
        return EFI_SUCCESS;
    /* The event data names what was measured: "pagoda kernel \EFI\...". */
    int n = fmt_snprintf((char *)ev->Event, MEASURE_DESC_MAX, "pagoda %s %s", what, path);
    ev->Size = (UINT32)(sizeof(*ev) + (UINT32)n + 1);
    ev->Header.HeaderSize = sizeof(ev->Header);
    ev->Header.HeaderVersion = EFI_TCG2_EVENT_HEADER_VERSION;
    ev->Header.PCRIndex = pcr;
    ev->Header.EventType = TCG_EV_IPL;
    EFI_STATUS st = uefi_call_wrapper(p->HashLogExtendEvent, 5, p, 0ULL,
                                      (EFI_PHYSICAL_ADDRESS)(uintptr_t)data, (UINT64)size, ev);
    if (EFI_ERROR(st))
        con_printf("pagoda: measuring %s %s into PCR %u failed: %s\n", what, path, pcr, efi_status_str(st));
    else
        con_printf("pagoda: measured %s %s (%lu bytes) into PCR %u\n", what, path, (unsigned long)size, pcr);
    return st;
}

/* capture=1: the SHA-256 bank of PCRs 0-9 as the TPM has them now, eight
 * at a time (a response holds at most eight digests). */
static void report_pcrs(EFI_TCG2_PROTOCOL *p)
{
    uint8_t pcr[TCG_PCRS][SHA256_DIGEST_SIZE], cmd[TPM2_PCR_READ_CMD_SIZE], resp[PCR_READ_RESP_MAX];
    uint32_t want = (1u << PCRS_REPORTED) - 1, have = 0;

    while (want & ~have) {
        uint32_t ask = 0;
        for (int n = 0, k = 0; n < PCRS_REPORTED && k < TPM2_PCR_READ_MAX; n++)
            if ((want & ~have) & (1u << n)) {
                ask |= 1u << n;
                k++;
            }
        size_t len = tpm2_pcr_read_cmd(ask, cmd);
        memset(resp, 0, sizeof(resp));
        EFI_STATUS st = uefi_call_wrapper(p->SubmitCommand, 5, p, (UINT32)len, cmd, (UINT32)sizeof(resp), resp);
        uint32_t got, rlen = (uint32_t)resp[2] << 24 | resp[3] << 16 | resp[4] << 8 | resp[5];
        if (EFI_ERROR(st) || rlen > sizeof(resp) || tpm2_pcr_read_resp(resp, rlen, &got, pcr) < 0 ||
            (got & ask) != ask) {
            con_printf("pagoda: tpm: PCR read failed (%s)\n", efi_status_str(st));
            return;
        }
        have |= got;
    }
    for (int n = 0; n < PCRS_REPORTED; n++) {
        char hex[SHA256_HEX_SIZE];
        sha256_to_hex(pcr[n], hex);
        con_printf("pagoda: tpm pcr%d=%s\n", n, hex);
    }
}

/* The firmware's log up to the end of its last entry, copied into kernel
 * data pages. The walk from the first entry to the last is what sizes it:
 * an entry that does not parse leaves the kernel without a log (0). */
static void copy_log(EFI_TCG2_PROTOCOL *p, struct bootinfo *bi)
{
    EFI_PHYSICAL_ADDRESS loc, last;
    BOOLEAN truncated;
    struct tcg_log log;
    struct tcg_event ev;
    paddr_t copy;

    EFI_STATUS st = uefi_call_wrapper(p->GetEventLog, 5, p, EFI_TCG2_EVENT_LOG_FORMAT_TCG_2, &loc, &last, &truncated);
    if (EFI_ERROR(st) || loc == 0 || last < loc) {
        con_printf("pagoda: tpm: no crypto-agile event log (%s)\n", efi_status_str(st));
        return;
    }
    /* The last entry starts at `last`; its own length decides the end. Its
     * header is read with an upper bound for the walk only (a maximal
     * entry); the Spec ID header bounds the algorithms. */
    const uint8_t *base = (const uint8_t *)(uintptr_t)loc;
    size_t bound = (size_t)(last - loc) + (size_t)64 * KiB;
    if (tcg_log_open(&log, base, bound) < 0 ||
        (last != loc && tcg_log_event(&log, (size_t)(last - loc), &ev) < 0)) {
        con_printf("pagoda: tpm: the firmware's event log does not parse; not passed on\n");
        return;
    }
    size_t size = last == loc ? log.first : ev.end;
    if (alloc_pages(PAGODA_MEM_KERNEL_DATA, size, AllocateAnyPages, 0, &copy))
        return;
    memcpy((void *)(uintptr_t)copy, base, size);
    bi->tpm_event_log = copy;
    bi->tpm_event_log_size = size;
    bi->tpm_event_log_format = BI_TPM_LOG_TCG2;
    con_printf("pagoda: tpm event_log=0x%lx bytes=%lu truncated=%d format=tcg2\n", (unsigned long)copy,
               (unsigned long)size, truncated ? 1 : 0);
}

/* Where the final events table is (EFI configuration table), so that the
 * kernel finds the events logged after GetEventLog (ExitBootServices'). */
static paddr_t final_events_table(void)
{
    static EFI_GUID guid = EFI_TCG2_FINAL_EVENTS_TABLE_GUID;

    for (UINTN i = 0; i < ST->NumberOfTableEntries; i++)
        if (CompareGuid(&ST->ConfigurationTable[i].VendorGuid, &guid) == 0)
            return (paddr_t)(uintptr_t)ST->ConfigurationTable[i].VendorTable;
    return 0;
}

/* capture=1: the copy, as a file; a failure is reported and the boot goes on. */
static void write_log(EFI_HANDLE image, const struct bootinfo *bi)
{
    EFI_FILE_HANDLE f;
    EFI_STATUS st = fs_create_file(image, EVENTLOG_FILE, &f);

    if (!EFI_ERROR(st)) {
        st = fs_write_all(f, (const void *)(uintptr_t)bi->tpm_event_log, bi->tpm_event_log_size);
        uefi_call_wrapper(f->Close, 1, f);   /* always EFI_SUCCESS (efi/fs.c) */
    }
    con_printf("pagoda: tpm event log written to \\EFI\\pagoda\\tpm-eventlog.bin: %s\n", efi_status_str(st));
}

void measure_finish(struct bootinfo *bi, EFI_HANDLE image, bool capture)
{
    EFI_TCG2_PROTOCOL *p = protocol();

    if (!p)
        return;
    if (capture)
        report_pcrs(p);   /* before GetEventLog: no event can fall between the two */
    copy_log(p, bi);
    bi->tpm_final_events = final_events_table();
    if (capture && bi->tpm_event_log)
        write_log(image, bi);
}
