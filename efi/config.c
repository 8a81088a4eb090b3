/* Loading pagoda.conf from the boot volume; the parsing itself is
 * shared/config.c, so host tests cover it. Under the closed chain
 * (efi/chain.c) the file's bytes are judged before a byte is parsed. */
#include <string.h>

#include "loader.h"

#define CONFIG_PATH_NAME "\\EFI\\pagoda\\pagoda.conf"   /* CONFIG_PATH, for messages */

static EFI_STATUS parse(void *text, UINTN size, struct config *cfg)
{
    char err[CONFIG_ERR_MAX];
    EFI_STATUS st = chain_config(CONFIG_PATH_NAME, text, size);
    int rc = st == EFI_SUCCESS ? config_parse(text, size, cfg, err) : 0;

    uefi_call_wrapper(BS->FreePool, 1, text);   /* fails only for a foreign buffer */
    if (st != EFI_SUCCESS)
        return st;
    if (rc < 0) {
        con_printf("pagoda: %s\n", err);
        return EFI_INVALID_PARAMETER;
    }
    return EFI_SUCCESS;
}

EFI_STATUS config_load(EFI_HANDLE image, struct config *cfg)
{
    void *text;
    UINTN size;
    EFI_STATUS st;

    memset(cfg, 0, sizeof(*cfg));
    chain_init();
    st = fs_read_file(image, CONFIG_PATH, &text, &size);
    if (st == EFI_NOT_FOUND) {   /* optional file, unless its hash is enrolled */
        if ((st = chain_config_absent(CONFIG_PATH_NAME)) == EFI_SUCCESS)
            chain_configured(cfg);
        return st;
    }
    if (EFI_ERROR(st)) {
        con_printf("pagoda: cannot read " CONFIG_PATH_NAME ": %s\n", efi_status_str(st));
        return st;
    }
    if ((st = parse(text, size, cfg)) != EFI_SUCCESS)
        return st;
    static const char *const protocols[] = { "auto", "pagoda", "limine" };
    con_note("pagoda: config: kernel=%s cmdline=\"%s\" protocol %s, %lu module(s)\n",
               cfg->kernel[0] ? cfg->kernel : "(embedded)", cfg->cmdline, protocols[cfg->protocol],
               (unsigned long)cfg->nmodules);
    chain_configured(cfg);
    return EFI_SUCCESS;
}
