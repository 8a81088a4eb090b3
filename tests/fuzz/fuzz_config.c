/* libFuzzer harness for config_parse (shared/config.c): pagoda.conf is read
 * from a FAT volume anyone can write (under Secure Boot the loader parses
 * it only after its hash matched the pin, but without Secure Boot any
 * bytes arrive here).
 *
 * The input is copied into an exact-size allocation. Whatever it is,
 * config_parse returns 0 or -1 and, checked here independently:
 *  - -1 leaves a NUL-terminated message naming a line ("pagoda.conf line ");
 *  - 0: every string field is NUL-terminated within its array, paths hold
 *    no '/', at most CONFIG_MODULES_MAX modules, switches are 0 or 1, the
 *    enums are in range; a set pin came from 64 hex digits that are in the
 *    input (kernel_sha256=, sha256=, file_sha256=), printed back the same
 *    lower-cased; every file_sha256= entry has a path and a pin.
 *
 * Build: make build/fuzz/fuzz_config
 * Run:   build/fuzz/fuzz_config -max_total_time=60 CORPUS_DIR
 */
#include <ctype.h>

#include "config.h"
#include "fuzz_common.h"

static void check_string(const char *s, size_t cap, bool path)
{
    size_t n = strnlen(s, cap);

    REQUIRE(n < cap);
    if (path)
        REQUIRE(memchr(s, '/', n) == NULL);
}

/* The pin's hex (lower-cased) occurs in the input, case-insensitively. */
static void check_pin(const struct config_pin *pin, const uint8_t *file, size_t size)
{
    char hex[SHA256_HEX_SIZE];

    if (!pin->set)
        return;
    sha256_to_hex(pin->sha256, hex);
    for (size_t at = 0; at + 64 <= size; at++) {
        size_t i = 0;
        while (i < 64 && tolower(file[at + i]) == hex[i])
            i++;
        if (i == 64)
            return;
    }
    REQUIRE(!"a pin that is not in the input");
}

static void check(const uint8_t *file, size_t size)
{
    static struct config cfg;
    char err[CONFIG_ERR_MAX];

    int rc = config_parse((const char *)file, size, &cfg, err);
    REQUIRE(rc == 0 || rc == -1);
    if (rc < 0) {
        REQUIRE(strnlen(err, CONFIG_ERR_MAX) < CONFIG_ERR_MAX);
        REQUIRE(strncmp(err, "pagoda.conf line ", 17) == 0);
        return;
    }
    check_string(cfg.kernel, sizeof(cfg.kernel), true);
    check_string(cfg.cmdline, sizeof(cfg.cmdline), false);
    REQUIRE(cfg.verbose == 0 || cfg.verbose == 1);
    REQUIRE(cfg.capture == 0 || cfg.capture == 1);
    REQUIRE(cfg.gdb == 0 || cfg.gdb == 1);
    REQUIRE(cfg.verify == 0 || cfg.verify == 1);
    REQUIRE(cfg.protocol <= CONFIG_PROTOCOL_LIMINE);
    REQUIRE(cfg.limine_smp <= CONFIG_LIMINE_SMP_SERIAL);
    REQUIRE(cfg.nmodules <= CONFIG_MODULES_MAX);
    check_pin(&cfg.kernel_pin, file, size);
    for (size_t i = 0; i < cfg.nmodules; i++) {
        check_string(cfg.modules[i].path, CONFIG_PATH_MAX, true);
        REQUIRE(cfg.modules[i].path[0] != '\0');
        check_string(cfg.modules[i].string, CONFIG_CMDLINE_MAX, false);
        check_pin(&cfg.modules[i].pin, file, size);
    }
    REQUIRE(cfg.nfile_pins <= CONFIG_MODULES_MAX);
    for (size_t i = 0; i < cfg.nfile_pins; i++) {
        check_string(cfg.file_pins[i].path, CONFIG_PATH_MAX, true);
        REQUIRE(cfg.file_pins[i].path[0] != '\0' && cfg.file_pins[i].pin.set);
        check_pin(&cfg.file_pins[i].pin, file, size);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_check_copy(data, size, check);
    return 0;
}
