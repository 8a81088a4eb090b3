/* tpm-replay: replay a TCG crypto-agile event log (the copy the loader
 * hands the kernel, or /sys/kernel/security/tpm0/binary_bios_measurements
 * on Linux) and print the SHA-256 PCR values a TPM that logged it must
 * hold, one "pcrN=HEX" line per PCR (0-23, or those given), and with -v
 * every event. Uses shared/tcg_log.c and shared/sha256.c, the loader's own.
 *
 *   tpm-replay [-v] LOG [PCR...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcg_log.h"
#include "host_file.h"

static void print_events(const struct tcg_log *log)
{
    struct tcg_event ev;
    char hex[SHA256_HEX_SIZE];

    for (size_t at = log->first; at < log->len && tcg_log_event(log, at, &ev) == 0; at = ev.end) {
        if (ev.sha256)
            sha256_to_hex(ev.sha256, hex);
        printf("event pcr=%u type=0x%x sha256=%s size=%u\n", ev.pcr, ev.type, ev.sha256 ? hex : "-",
               ev.data_size);
    }
}

int main(int argc, char **argv)
{
    uint8_t pcr[TCG_PCRS][SHA256_DIGEST_SIZE];
    struct tcg_log log;
    int verbose = argc > 1 && strcmp(argv[1], "-v") == 0;
    size_t len;

    if (argc < 2 + verbose) {
        fprintf(stderr, "usage: tpm-replay [-v] LOG [PCR...]\n");
        return 2;
    }
    unsigned char *buf = host_read_file(argv[1 + verbose], &len);
    if (!buf) {
        fprintf(stderr, "tpm-replay: cannot read %s\n", argv[1 + verbose]);
        return 1;
    }
    int n;
    if (tcg_log_open(&log, buf, len) < 0 || (n = tcg_log_replay(&log, pcr)) < 0) {
        fprintf(stderr, "tpm-replay: %s: not a crypto-agile event log with a SHA-256 bank\n", argv[1 + verbose]);
        return 1;
    }
    if (verbose)
        print_events(&log);
    for (int i = 0; i < TCG_PCRS; i++) {
        int wanted = argc == 2 + verbose;
        for (int a = 2 + verbose; a < argc; a++)
            wanted |= atoi(argv[a]) == i;
        char hex[SHA256_HEX_SIZE];
        sha256_to_hex(pcr[i], hex);
        if (wanted)
            printf("pcr%d=%s\n", i, hex);
    }
    fprintf(stderr, "tpm-replay: %d events\n", n);
    free(buf);
    return 0;
}
