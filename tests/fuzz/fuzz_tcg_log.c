/* libFuzzer harness for the event-log walker and replay (shared/tcg_log.c)
 * and the TPM2_PCR_Read response decoder (shared/tpm2_pcr.c): both read
 * bytes the loader and the host tool do not control.
 *
 * The input is copied into an exact-size allocation (ASan sees a read past
 * its end). Checked:
 *  - tcg_log_open accepts only a header inside the input, with 1..8
 *    algorithms and a 32-byte SHA-256 if listed;
 *  - walking from the first entry, every accepted entry lies inside the
 *    input, its data too, its SHA-256 digest (if any) inside it, and the
 *    walk strictly advances; replay counts exactly the entries the walk
 *    accepts when the walk reaches the end, and refuses otherwise;
 *  - tpm2_pcr_read_resp on the same bytes returns 0 or -E_INVAL and reports
 *    only PCRs 0-23.
 *
 * Build: make build/fuzz/fuzz_tcg_log
 * Run:   build/fuzz/fuzz_tcg_log -max_total_time=60 CORPUS_DIR
 * Seeds: a log from tests/secureboot (build/test-logs/secureboot/tpm-eventlog.bin).
 */
#include "fuzz_common.h"
#include "tcg_log.h"
#include "tpm2_pcr.h"

static void check_log(const uint8_t *file, size_t size)
{
    uint8_t pcr[TCG_PCRS][SHA256_DIGEST_SIZE];
    struct tcg_log log;
    struct tcg_event ev;

    if (tcg_log_open(&log, file, size) < 0)
        return;
    REQUIRE(log.nalgs >= 1 && log.nalgs <= TCG_MAX_ALGS && log.first <= size);
    size_t at = log.first;
    int n = 0;
    bool complete = true, ok = true;
    while (at < size) {
        if (tcg_log_event(&log, at, &ev) < 0) {
            complete = false;
            break;
        }
        REQUIRE(ev.end > at && ev.end <= size);
        REQUIRE(ev.data >= file + at && ev.data + ev.data_size == file + ev.end);
        REQUIRE(!ev.sha256 || (ev.sha256 > file + at && ev.sha256 + SHA256_DIGEST_SIZE <= ev.data));
        if (ev.pcr >= TCG_PCRS || (ev.type != TCG_EV_NO_ACTION && !ev.sha256))
            ok = false;
        at = ev.end;
        n++;
    }
    int rc = tcg_log_replay(&log, pcr);
    REQUIRE(complete && ok ? rc == n : rc == -E_INVAL);
}

static void check_resp(const uint8_t *file, size_t size)
{
    uint8_t pcr[TCG_PCRS][SHA256_DIGEST_SIZE];
    uint32_t got = 0;
    int rc = tpm2_pcr_read_resp(file, size, &got, pcr);

    REQUIRE(rc == 0 || rc == -E_INVAL);
    REQUIRE(got < (1u << TCG_PCRS));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_check_copy(data, size, check_log);
    fuzz_check_copy(data, size, check_resp);
    return 0;
}
