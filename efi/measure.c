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
 * Right after the kernel is measured, measure_snapshot copies the event log
 * for the kernel (include/tpm_log_table.h: an EFI configuration table, so
 * that a kernel of either protocol finds it; later events go to the
 * firmware's final events table) and, with capture=1, first reads the
 * SHA-256 PCRs back from the TPM (TPM2_PCR_Read through SubmitCommand).
 * measure_finish puts the copy in the boot info and, with capture=1, writes
 * it to \EFI\pagoda\tpm-eventlog.bin, for tools/tpm-replay and the test
 * that replays the log against the PCRs. */
#include <string.h>

#include "loader.h"
#include "tcg2.h"
#include "tcg_log.h"
#include "tpm2_pcr.h"
#include "tpm_log_table.h"
#include "fmt.h"

#define MEASURE_DESC_MAX  (CONFIG_PATH_MAX + 32)
#define PCR_READ_RESP_MAX 512
#define PCRS_REPORTED     10                 /* 0-9: the firmware's and ours */
#define EVENTLOG_FILE     L"\\EFI\\pagoda\\tpm-eventlog.bin"

#define LAST_ENTRY_MAX    (64 * KiB)         /* bounds the walk through the last entry */

static EFI_TCG2_PROTOCOL *tcg2;
static bool looked;
static struct pagoda_tpm_log_table *snap;  /* the copy, once taken */

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
    fmt_snprintf((char *)ev->Event, MEASURE_DESC_MAX, "pagoda %s %s", what, path);
    ev->Size = (UINT32)(sizeof(*ev) + strlen((const char *)ev->Event) + 1);   /* as written, NUL included */
    ev->Header.HeaderSize = sizeof(ev->Header);
    ev->Header.HeaderVersion = EFI_TCG2_EVENT_HEADER_VERSION;
    ev->Header.PCRIndex = pcr;
    ev->Header.EventType = TCG_EV_IPL;
    EFI_STATUS st = uefi_call_wrapper(p->HashLogExtendEvent, 5, p, 0ULL,
                                      (EFI_PHYSICAL_ADDRESS)(uintptr_t)data, (UINT64)size, ev);
    if (EFI_ERROR(st))
        con_printf("pagoda: measuring %s %s into PCR %u failed: %s\n", what, path, pcr, efi_status_str(st));
    else
        con_note("pagoda: measured %s %s (%lu bytes) into PCR %u\n", what, path, (unsigned long)size, pcr);
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
        con_note("pagoda: tpm pcr%d=%s\n", n, hex);
    }
}

/* The firmware's log up to the end of its last entry, copied after a
 * table header into kernel-data pages and installed as an EFI
 * configuration table (include/tpm_log_table.h). The firmware's log is
 * found only through GetEventLog, a boot service; the copy is what a
 * kernel can find afterwards. From this GetEventLog call on, the firmware
 * also records every event in its final events table. The walk from the
 * first entry to the last is what sizes the copy: a log that does not
 * parse is not passed on. */
static void snapshot_log(EFI_TCG2_PROTOCOL *p)
{
    static EFI_GUID guid = PAGODA_TPM_LOG_TABLE_GUID;
    EFI_PHYSICAL_ADDRESS loc, last;
    BOOLEAN truncated;
    struct tcg_log log;
    struct tcg_event ev;
    paddr_t pa;

    EFI_STATUS st = uefi_call_wrapper(p->GetEventLog, 5, p, EFI_TCG2_EVENT_LOG_FORMAT_TCG_2, &loc, &last, &truncated);
    if (EFI_ERROR(st) || loc == 0 || last < loc) {
        con_printf("pagoda: tpm: no crypto-agile event log (%s)\n", efi_status_str(st));
        return;
    }
    /* The last entry starts at `last`; its own lengths decide the end (the
     * bound only caps a walk through a corrupt last entry). */
    const uint8_t *base = (const uint8_t *)(uintptr_t)loc;
    size_t bound = (size_t)(last - loc) + LAST_ENTRY_MAX;
    if (tcg_log_open(&log, base, bound) < 0 ||
        (last != loc && tcg_log_event(&log, (size_t)(last - loc), &ev) < 0)) {
        con_printf("pagoda: tpm: the firmware's event log does not parse; not passed on\n");
        return;
    }
    size_t size = last == loc ? log.first : ev.end;
    if (alloc_pages(PAGODA_MEM_KERNEL_DATA, sizeof(*snap) + size, AllocateAnyPages, 0, &pa))
        return;
    snap = (struct pagoda_tpm_log_table *)(uintptr_t)pa;
    *snap = (struct pagoda_tpm_log_table){ .version = PAGODA_TPM_LOG_TABLE_VERSION, .format = BI_TPM_LOG_TCG2,
                                           .size = size, .final_events = final_events_table() };
    memcpy(snap->log, base, size);
    st = uefi_call_wrapper(BS->InstallConfigurationTable, 2, &guid, snap);
    con_note("pagoda: tpm event_log=0x%lx bytes=%lu truncated=%d format=tcg2 final_events=0x%lx table=%s\n",
               (unsigned long)(uintptr_t)snap->log, (unsigned long)size, truncated ? 1 : 0,
               (unsigned long)snap->final_events, efi_status_str(st));
}

void measure_snapshot(bool report)
{
    EFI_TCG2_PROTOCOL *p = protocol();

    if (!p || snap)
        return;
    if (report)
        report_pcrs(p);   /* before GetEventLog: no event can fall between the two */
    snapshot_log(p);
}

/* capture=1: the copy, as a file; a failure is reported and the boot goes on. */
static void write_log(EFI_HANDLE image)
{
    EFI_FILE_HANDLE f;
    EFI_STATUS st = fs_create_file(image, EVENTLOG_FILE, &f);

    if (!EFI_ERROR(st)) {
        st = fs_write_all(f, snap->log, snap->size);
        uefi_call_wrapper(f->Close, 1, f);   /* always EFI_SUCCESS (efi/fs.c) */
    }
    con_note("pagoda: tpm event log written to \\EFI\\pagoda\\tpm-eventlog.bin: %s\n", efi_status_str(st));
}

void measure_finish(struct bootinfo *bi, EFI_HANDLE image, bool capture)
{
    if (!snap)
        return;
    bi->tpm_event_log = (paddr_t)(uintptr_t)snap->log;
    bi->tpm_event_log_size = snap->size;
    bi->tpm_event_log_format = snap->format;
    bi->tpm_final_events = snap->final_events;
    if (capture)
        write_log(image);
}
