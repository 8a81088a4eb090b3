/* The closed chain (docs/secure-boot.md): under Secure Boot the loader
 * uses only what its own signature covers (the embedded kernel, the config
 * pin below) or what a covered statement pins (the config's kernel_sha256=,
 * module sha256= and file_sha256= fields). Every file is read once into memory, hashed,
 * judged (shared/chain.c), measured (efi/measure.c), and only then parsed
 * or loaded: the bytes checked are the bytes used.
 * A refusal names the file and the reason and returns
 * EFI_SECURITY_VIOLATION, which efi_main hands back to the firmware. */
#include <string.h>

#include "chain.h"
#include "loader.h"
#include "pin.h"

#define PCR_CONFIG 8   /* efi/measure.c says why */
#define PCR_FILES  9

/* In its own PE section, written by tools/pagoda-pin before signing.
 * Page-aligned: a PE section starts at a multiple of SectionAlignment
 * (4 KiB), and the linker places this orphan section wherever the one
 * before it ended. Not const, and read through a volatile pointer: the
 * compiler must not fold the unpinned initial value into the checks. */
__attribute__((section(PIN_SECTION), used, aligned(PAGE_SIZE)))
struct pin_block pagoda_pin = { .magic = PIN_MAGIC, .version = PIN_VERSION, .flags = 0 };

static struct {
    bool secure_boot, setup_mode, enforced, config_checked;
} chain;

/* A one-byte global variable (SecureBoot, SetupMode): 1 or 0; absent or
 * unreadable counts as 0 (firmware without Secure Boot support). */
static bool global_flag(CHAR16 *name)
{
    UINT8 v = 0;
    UINTN size = sizeof(v);
    EFI_STATUS st = uefi_call_wrapper(RT->GetVariable, 5, name, &EfiGlobalVariable, NULL, &size, &v);

    return !EFI_ERROR(st) && size == 1 && v == 1;
}

void chain_init(void)
{
    chain.secure_boot = global_flag(L"SecureBoot");
    chain.setup_mode = global_flag(L"SetupMode");
    chain.enforced = chain.secure_boot;   /* until the config says verify=1 */
}

static const uint8_t *config_pin(void)
{
    const volatile struct pin_block *p = &pagoda_pin;

    return (p->version == PIN_VERSION && (p->flags & PIN_FLAG_CONFIG)) ? (const uint8_t *)p->config_sha256
                                                                        : NULL;
}

static EFI_STATUS refuse_file(const char *path, enum chain_verdict v, const char *why,
                              const uint8_t digest[SHA256_DIGEST_SIZE])
{
    char hex[SHA256_HEX_SIZE];

    sha256_to_hex(digest, hex);
    con_printf("pagoda: refused %s: %s (%s); its sha256=%s\n", path, chain_verdict_str(v), why, hex);
    return EFI_SECURITY_VIOLATION;
}

EFI_STATUS chain_config(const char *path, const void *data, UINTN size)
{
    uint8_t d[SHA256_DIGEST_SIZE];
    const uint8_t *pin = config_pin();

    sha256(data, size, d);
    enum chain_verdict v = chain_judge(chain.secure_boot, pin, d);
    if (v == CHAIN_MISMATCH)
        return refuse_file(path, v, "the hash enrolled in BOOTX64.EFI", d);
    if (v == CHAIN_NOT_PINNED)
        return refuse_file(path, v, "Secure Boot is on and BOOTX64.EFI has no config hash enrolled", d);
    chain.config_checked = pin != NULL;
    return measure_data(PCR_CONFIG, "config", path, data, size);
}

EFI_STATUS chain_config_absent(const char *path)
{
    if (config_pin()) {
        con_printf("pagoda: refused %s: missing, but BOOTX64.EFI has its hash enrolled\n", path);
        return EFI_SECURITY_VIOLATION;
    }
    return EFI_SUCCESS;
}

void chain_configured(const struct config *cfg)
{
    chain.enforced = chain_enforced(chain.secure_boot, cfg->verify != 0);
    con_note("pagoda: chain secure_boot=%s setup_mode=%d verify=%s config=%s tpm=%s\n",
               chain.secure_boot ? "on" : "off", chain.setup_mode ? 1 : 0, chain.enforced ? "on" : "off",
               chain.config_checked ? "pinned" : (config_pin() ? "pin-unused" : "unpinned"),
               measure_available() ? "tcg2" : "none");
}

/* After the kernel's measurement the event log is copied for the kernel
 * (measure_snapshot): both protocols pass here; modules come later and go
 * to the firmware's final events table. */
EFI_STATUS chain_kernel(const struct config *cfg, const void *data, UINTN size)
{
    uint8_t d[SHA256_DIGEST_SIZE];
    EFI_STATUS st;

    if (cfg->kernel[0]) {   /* else embedded: covered by the loader's own signature */
        sha256(data, size, d);
        enum chain_verdict v = chain_judge(chain.enforced, cfg->kernel_pin.set ? cfg->kernel_pin.sha256 : NULL, d);
        if (v != CHAIN_ACCEPT)
            return refuse_file(cfg->kernel, v, v == CHAIN_MISMATCH ? "kernel_sha256= in the config"
                                                                    : "no kernel_sha256= in the config", d);
    }
    st = measure_data(PCR_FILES, "kernel", cfg->kernel[0] ? cfg->kernel : "(embedded)", data, size);
    if (st == EFI_SUCCESS)
        measure_snapshot(cfg->capture != 0);
    return st;
}

/* A module's pin: the sha256= of the module= line with its path, else a
 * file_sha256= line for its path (a Limine kernel's internal modules). */
EFI_STATUS chain_module(const struct config *cfg, const char *path, const void *data, UINTN size)
{
    const uint8_t *pin = NULL;
    uint8_t d[SHA256_DIGEST_SIZE];

    size_t len = strlen(path) + 1;   /* with the NUL: no prefix matches */

    for (size_t i = 0; i < cfg->nmodules && !pin && len <= CONFIG_PATH_MAX; i++)
        if (cfg->modules[i].pin.set && memcmp(cfg->modules[i].path, path, len) == 0)
            pin = cfg->modules[i].pin.sha256;
    for (size_t i = 0; i < cfg->nfile_pins && !pin && len <= CONFIG_PATH_MAX; i++)
        if (memcmp(cfg->file_pins[i].path, path, len) == 0)
            pin = cfg->file_pins[i].pin.sha256;
    sha256(data, size, d);
    enum chain_verdict v = chain_judge(chain.enforced, pin, d);
    if (v != CHAIN_ACCEPT)
        return refuse_file(path, v, v == CHAIN_MISMATCH ? "sha256= on its module= line or file_sha256="
                                                        : "no sha256= on a module= line or file_sha256= for it", d);
    return measure_data(PCR_FILES, "module", path, data, size);
}

void chain_fill_bootinfo(struct bootinfo *bi, const struct config *cfg, EFI_HANDLE image)
{
    bi->boot_flags = (chain.secure_boot ? BI_BOOT_SECURE_BOOT : 0) | (chain.enforced ? BI_BOOT_VERIFIED : 0) |
                     (measure_available() ? BI_BOOT_MEASURED : 0);
    measure_finish(bi, image, cfg->capture != 0);
}
