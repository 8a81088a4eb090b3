/* The TPM event log as Pagoda hands it to any kernel: an EFI configuration
 * table (reachable from the EFI system table, which both of Pagoda's boot
 * protocols pass on) holding a copy of the firmware's TCG2 event log as it
 * stood right after the loader measured the kernel. Every event logged
 * after that copy (a Limine kernel's modules, ExitBootServices') is in the
 * firmware's EFI_TCG2_FINAL_EVENTS_TABLE: the copy followed by those
 * entries is the whole log (docs/secure-boot.md "Measured boot"). */
#ifndef PAGODA_TPM_LOG_TABLE_H
#define PAGODA_TPM_LOG_TABLE_H

#include "types.h"

/* e1c31808-1aa7-466a-8288-92824452061b, Pagoda's own. */
#define PAGODA_TPM_LOG_TABLE_GUID \
    { 0xe1c31808, 0x1aa7, 0x466a, { 0x82, 0x88, 0x92, 0x82, 0x44, 0x52, 0x06, 0x1b } }
#define PAGODA_TPM_LOG_TABLE_VERSION 1

struct pagoda_tpm_log_table {
    uint32_t version;           /* PAGODA_TPM_LOG_TABLE_VERSION */
    uint32_t format;            /* BI_TPM_LOG_TCG2: TCG crypto-agile */
    uint64_t size;              /* bytes of log[] */
    uint64_t final_events;      /* physical address of EFI_TCG2_FINAL_EVENTS_TABLE, 0 = none */
    uint8_t log[];              /* the Spec ID header, then TCG_PCR_EVENT2 entries */
};

_Static_assert(sizeof(struct pagoda_tpm_log_table) == 24, "pagoda_tpm_log_table is ABI");

#endif
