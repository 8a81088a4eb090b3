/* Loading pagoda.conf from the boot volume; the parsing itself is
 * shared/config.c, so host tests cover it. */
#include <string.h>

#include "loader.h"

EFI_STATUS config_load(EFI_HANDLE image, struct config *cfg)
{
    char err[CONFIG_ERR_MAX];
    void *text;
    UINTN size;
    EFI_STATUS st;

    memset(cfg, 0, sizeof(*cfg));
    st = fs_read_file(image, CONFIG_PATH, &text, &size);
    if (st == EFI_NOT_FOUND)
        return EFI_SUCCESS; /* optional file */
    if (EFI_ERROR(st)) {
        con_printf("pagoda: cannot read \\EFI\\pagoda\\pagoda.conf: %s\n", efi_status_str(st));
        return st;
    }
    int rc = config_parse(text, size, cfg, err);
    uefi_call_wrapper(BS->FreePool, 1, text);   /* fails only for a foreign buffer */
    if (rc < 0) {
        con_printf("pagoda: %s\n", err);
        return EFI_INVALID_PARAMETER;
    }
    static const char *const protocols[] = { "auto", "pagoda", "limine" };
    con_note("pagoda: config: kernel=%s cmdline=\"%s\" protocol %s, %lu module(s)\n",
               cfg->kernel[0] ? cfg->kernel : "(embedded)", cfg->cmdline, protocols[cfg->protocol],
               (unsigned long)cfg->nmodules);
    return EFI_SUCCESS;
}
