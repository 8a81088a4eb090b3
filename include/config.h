/* pagoda.conf: key=value lines, parsed by pure code so the loader and host
 * tests share it. Keys (documented in README "Configuration"):
 *   kernel=PATH     kernel ELF on the boot volume ('\' or '/' separators)
 *   cmdline=TEXT    kernel command line (rest of the line, verbatim)
 *   verbose=0|1     print the firmware memory map and plan in the loader
 *   capture=0|1     write the firmware memory map, CPUs and framebuffer to
 *                   \EFI\pagoda\memmap.txt (docs/memmap-capture.md)
 *   gdb=0|1         wait for a debugger after printing the loader's image
 *                   base (run.sh -g, tools/pagoda.gdb)
 *   protocol=auto|pagoda|limine
 *                   boot protocol: auto (default) serves the Limine protocol
 *                   to a kernel whose image holds Limine requests, Pagoda's
 *                   own otherwise (docs/limine.md)
 *   limine_smp=parallel|serial
 *                   how the loader starts a Limine kernel's APs: all at
 *                   once (default) or one at a time with the SDM's full
 *                   waits, the baseline for make bench (docs/limine.md)
 *   module=PATH [sha256=HEX] [STRING]
 *                   a Limine module (repeatable, in order): a file on the
 *                   boot volume, its pinned SHA-256 (64 hex digits; a word
 *                   right after the path that starts with "sha256=") and
 *                   an optional string (rest of the line)
 *   kernel_sha256=HEX
 *                   the kernel file's pinned SHA-256 (docs/secure-boot.md)
 *   verify=0|1      verify kernel and modules against their pins even with
 *                   Secure Boot off (on: always verified)
 *   file_sha256=PATH HEX
 *                   the pin of a file the kernel names itself (a Limine
 *                   kernel's internal modules); repeatable, 16 at most
 *   paging=4|5      paging levels for a Pagoda kernel (default: 5 when the
 *                   CPU has LA57, else 4; 5 without LA57 refuses the boot)
 * Blank lines and lines starting with '#' are ignored; spaces around the key
 * and the value are trimmed. */
#ifndef PAGODA_CONFIG_H
#define PAGODA_CONFIG_H

#include "sha256.h"
#include "types.h"

#define CONFIG_PATH_MAX    128
#define CONFIG_CMDLINE_MAX 256
#define CONFIG_ERR_MAX     128
#define CONFIG_MODULES_MAX 16

enum config_protocol {
    CONFIG_PROTOCOL_AUTO = 0,          /* Limine if the image holds requests */
    CONFIG_PROTOCOL_PAGODA,
    CONFIG_PROTOCOL_LIMINE,
};

enum config_limine_smp {
    CONFIG_LIMINE_SMP_PARALLEL = 0,    /* every AP at once */
    CONFIG_LIMINE_SMP_SERIAL,          /* one at a time, SDM waits */
};

/* A file's pinned SHA-256 (docs/secure-boot.md). */
struct config_pin {
    bool set;
    uint8_t sha256[SHA256_DIGEST_SIZE];
};

struct config_module {
    char path[CONFIG_PATH_MAX];       /* '\' separators, as `kernel` */
    char string[CONFIG_CMDLINE_MAX];  /* "" when none was given */
    struct config_pin pin;            /* sha256= on the module line */
};

/* file_sha256=: a pin for a file no module= line names. */
struct config_file_pin {
    char path[CONFIG_PATH_MAX];       /* '\\' separators */
    struct config_pin pin;
};

struct config {
    char kernel[CONFIG_PATH_MAX];     /* "" = use the embedded kernel */
    char cmdline[CONFIG_CMDLINE_MAX];
    int verbose;
    int capture;                      /* 1: write the memory-map capture */
    int gdb;                          /* 1: wait for gdb (efi/main.c) */
    enum config_protocol protocol;
    enum config_limine_smp limine_smp;
    int verify;                       /* 1: verify pins with Secure Boot off */
    struct config_pin kernel_pin;     /* kernel_sha256= */
    size_t nmodules;
    struct config_module modules[CONFIG_MODULES_MAX];
    size_t nfile_pins;
    struct config_file_pin file_pins[CONFIG_MODULES_MAX];
    int paging_levels;                /* 4, 5, or CONFIG_PAGING_AUTO */
};

#define CONFIG_PAGING_AUTO 0          /* the most the CPU has */

/* Parse `len` bytes of `text` into *cfg (defaults first). Returns 0, or -1
 * with a message naming the line and the problem in err (unknown key, bad
 * value, missing '=', value too long, NUL byte, unknown protocol, too many modules, a
 * SHA-256 that is not 64 hex digits, paging not 4 or 5). Stops at the first error. */
int config_parse(const char *text, size_t len, struct config *cfg, char err[CONFIG_ERR_MAX]);

#endif
