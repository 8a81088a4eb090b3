/* Limine responses, built before ExitBootServices in one bootloader-
 * reclaimable arena, and hooked into their requests (the response pointer
 * of a request is written only when the loader serves it; unknown requests
 * keep theirs). Pointers the kernel follows are HHDM addresses, except the
 * tables whose revision says physical (limine_table_addr). The memory map's
 * and the EFI memory map's contents come after the exit
 * (limine_paging.c); their storage is sized here. */
#include <string.h>

#include "limine.h"

#define BOOTLOADER_NAME "Pagoda"
#define BOOTLOADER_VERSION "0.1"
#define ARENA_ALIGN 16
/* Response revisions Pagoda serves (spec, per feature). */
#define RESP_REV_FRAMEBUFFER 1      /* video modes */
#define RESP_REV_MODULE      1      /* internal modules */
#define RESP_REV_DEFAULT     0

void *limine_arena_alloc(struct limine_arena *a, uint64_t size)
{
    uint64_t at = ALIGN_UP(a->used, ARENA_ALIGN);

    if (at > a->size || size > a->size - at)
        return NULL;
    a->used = at + size;
    return a->base + at;   /* zeroed when the arena was allocated */
}

char *limine_arena_str(struct limine_arena *a, const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = limine_arena_alloc(a, n);

    if (d)
        memcpy(d, s, n);
    return d;
}

/* A response of `size` bytes for request r at `rev`, hooked into r. NULL
 * when the arena is full (the caller refuses the boot). */
static void *respond(struct limine_boot *B, const struct limine_req *r, uint64_t size, uint64_t rev)
{
    uint64_t *resp = limine_arena_alloc(&B->arena, size);

    if (!resp)
        return NULL;
    resp[0] = rev;
    limine_req_set_response(r, limine_kva(B, resp));
    return resp;
}

static EFI_STATUS arena_full(void)
{
    con_printf("pagoda: limine: the response arena (%lu KiB) is full\n",
               (unsigned long)(LIMINE_RESP_ARENA / KiB));
    return EFI_OUT_OF_RESOURCES;
}

/* GOP mask -> (size, shift): the shift of its lowest bit and the run of
 * ones from there (GOP masks are contiguous). */
static void mask_fields(uint32_t mask, uint8_t *size, uint8_t *shift)
{
    *size = *shift = 0;
    if (!mask)
        return;
    *shift = (uint8_t)__builtin_ctz(mask);
    for (uint32_t m = mask >> *shift; m & 1; m >>= 1)
        ++*size;
}

static void fb_masks(const struct bootinfo_fb *fb, uint32_t m[3])
{
    switch (fb->format) {
    case FB_FORMAT_RGBX: m[0] = 0x000000FF; m[1] = 0x0000FF00; m[2] = 0x00FF0000; break;
    case FB_FORMAT_BGRX: m[0] = 0x00FF0000; m[1] = 0x0000FF00; m[2] = 0x000000FF; break;
    default: m[0] = fb->red_mask; m[1] = fb->green_mask; m[2] = fb->blue_mask; break;
    }
}

/* Bits per pixel: 32 for the fixed formats, else the highest bit any mask
 * uses, rounded up to bytes (as efi/platform.c sizes the pitch). */
static uint16_t fb_bpp(const struct bootinfo_fb *fb)
{
    uint32_t all = fb->red_mask | fb->green_mask | fb->blue_mask | fb->reserved_mask;

    if (fb->format != FB_FORMAT_BITMASK || all == 0)
        return 32;
    return (uint16_t)((32 - __builtin_clz(all) + 7) / 8 * 8);
}

static EFI_STATUS resp_framebuffer(struct limine_boot *B, const struct limine_req *r)
{
    const struct bootinfo_fb *fb = &B->fb;
    uint32_t m[3];

    if (!fb->base)
        return EFI_SUCCESS;   /* no linear framebuffer: no response */
    struct limine_framebuffer_resp *resp = respond(B, r, sizeof(*resp), RESP_REV_FRAMEBUFFER);
    uint64_t *list = limine_arena_alloc(&B->arena, sizeof(uint64_t));
    struct limine_framebuffer *f = limine_arena_alloc(&B->arena, sizeof(*f));
    struct limine_video_mode *mode = limine_arena_alloc(&B->arena, sizeof(*mode));
    uint64_t *modes = limine_arena_alloc(&B->arena, sizeof(uint64_t));
    if (!resp || !list || !f || !mode || !modes)
        return arena_full();
    fb_masks(fb, m);
    *f = (struct limine_framebuffer){ .address = B->hhdm + fb->base, .width = fb->width,
                                      .height = fb->height, .pitch = fb->pitch, .bpp = fb_bpp(fb),
                                      .memory_model = LIMINE_FB_MODEL_RGB, .mode_count = 1,
                                      .modes = limine_kva(B, modes) };
    mask_fields(m[0], &f->red_mask_size, &f->red_mask_shift);
    mask_fields(m[1], &f->green_mask_size, &f->green_mask_shift);
    mask_fields(m[2], &f->blue_mask_size, &f->blue_mask_shift);
    /* The one mode Pagoda knows: the current one (the loader never sets a
     * mode, so it is also the only one it could promise). */
    *mode = (struct limine_video_mode){ .pitch = f->pitch, .width = f->width, .height = f->height,
                                        .bpp = f->bpp, .memory_model = f->memory_model,
                                        .red_mask_size = f->red_mask_size, .red_mask_shift = f->red_mask_shift,
                                        .green_mask_size = f->green_mask_size,
                                        .green_mask_shift = f->green_mask_shift,
                                        .blue_mask_size = f->blue_mask_size,
                                        .blue_mask_shift = f->blue_mask_shift };
    modes[0] = limine_kva(B, mode);
    list[0] = limine_kva(B, f);
    resp->framebuffer_count = 1;
    resp->framebuffers = limine_kva(B, list);
    return EFI_SUCCESS;
}

static EFI_STATUS resp_simple(struct limine_boot *B, const struct limine_req *r)
{
    switch (r->kind) {
    case LIMINE_REQ_BOOTLOADER_INFO: {
        struct limine_bootloader_info_resp *p = respond(B, r, sizeof(*p), RESP_REV_DEFAULT);
        char *name = limine_arena_str(&B->arena, BOOTLOADER_NAME);
        char *version = limine_arena_str(&B->arena, BOOTLOADER_VERSION);
        if (!p || !name || !version)
            return arena_full();
        p->name = limine_kva(B, name);
        p->version = limine_kva(B, version);
        return EFI_SUCCESS;
    }
    case LIMINE_REQ_FIRMWARE_TYPE: {
        struct limine_firmware_type_resp *p = respond(B, r, sizeof(*p), RESP_REV_DEFAULT);
        if (!p)
            return arena_full();
        p->firmware_type = LIMINE_FIRMWARE_EFI64;
        return EFI_SUCCESS;
    }
    case LIMINE_REQ_KEEP_IOMMU:    /* acted on after the exit (limine_machine_state) */
        B->keep_iommu = true;
        return respond(B, r, sizeof(struct limine_revision_only_resp), RESP_REV_DEFAULT) ? EFI_SUCCESS
                                                                                           : arena_full();
    case LIMINE_REQ_STACK_SIZE:
    case LIMINE_REQ_ENTRY_POINT:   /* acted on in limine.c (check_kernel, allocate_stack_gdt) */
        return respond(B, r, sizeof(struct limine_revision_only_resp), RESP_REV_DEFAULT) ? EFI_SUCCESS
                                                                                           : arena_full();
    case LIMINE_REQ_HHDM: {
        struct limine_hhdm_resp *p = respond(B, r, sizeof(*p), RESP_REV_DEFAULT);
        if (!p)
            return arena_full();
        p->offset = B->hhdm;
        return EFI_SUCCESS;
    }
    case LIMINE_REQ_PAGING_MODE: {   /* decided in check_kernel */
        struct limine_paging_mode_resp *p = respond(B, r, sizeof(*p), RESP_REV_DEFAULT);
        if (!p)
            return arena_full();
        p->mode = B->paging_mode;
        return EFI_SUCCESS;
    }
    case LIMINE_REQ_EXECUTABLE_ADDRESS: {
        struct limine_executable_address_resp *p = respond(B, r, sizeof(*p), RESP_REV_DEFAULT);
        if (!p)
            return arena_full();
        p->physical_base = B->k->phys;
        p->virtual_base = B->k->elf.lo;
        return EFI_SUCCESS;
    }
    default:
        return EFI_SUCCESS;
    }
}

static EFI_STATUS resp_tables(struct limine_boot *B, const struct limine_req *r)
{
    const struct limine_tables *t = &B->tables;
    uint64_t rev = B->rev.booted;

    switch (r->kind) {
    case LIMINE_REQ_RSDP: {
        if (!t->rsdp)
            return EFI_SUCCESS;
        struct limine_rsdp_resp *p = respond(B, r, sizeof(*p), RESP_REV_DEFAULT);
        if (!p)
            return arena_full();
        p->address = limine_table_addr(LIMINE_TABLE_RSDP, rev, t->rsdp, B->hhdm);
        return EFI_SUCCESS;
    }
    case LIMINE_REQ_SMBIOS: {
        if (!t->smbios32 && !t->smbios64)
            return EFI_SUCCESS;
        struct limine_smbios_resp *p = respond(B, r, sizeof(*p), RESP_REV_DEFAULT);
        if (!p)
            return arena_full();
        p->entry_32 = limine_table_addr(LIMINE_TABLE_SMBIOS, rev, t->smbios32, B->hhdm);
        p->entry_64 = limine_table_addr(LIMINE_TABLE_SMBIOS, rev, t->smbios64, B->hhdm);
        return EFI_SUCCESS;
    }
    case LIMINE_REQ_EFI_SYSTEM_TABLE: {
        struct limine_efi_system_table_resp *p = respond(B, r, sizeof(*p), RESP_REV_DEFAULT);
        if (!p)
            return arena_full();
        p->address = limine_table_addr(LIMINE_TABLE_EFI_SYSTEM_TABLE, rev, (paddr_t)(uintptr_t)ST, B->hhdm);
        return EFI_SUCCESS;
    }
    case LIMINE_REQ_DATE_AT_BOOT: {
        int64_t now;
        if (limine_boot_date(&now) != EFI_SUCCESS)
            return EFI_SUCCESS;   /* no usable clock: no response (message printed) */
        struct limine_date_at_boot_resp *p = respond(B, r, sizeof(*p), RESP_REV_DEFAULT);
        if (!p)
            return arena_full();
        p->timestamp = now;
        return EFI_SUCCESS;
    }
    default:
        return EFI_SUCCESS;
    }
}

/* The executable file and cmdline responses share one limine_file, whose
 * string is the command line (spec: "Executable Command Line"). */
static EFI_STATUS resp_files(struct limine_boot *B, const struct limine_req *file_req,
                             const struct limine_req *cmd_req)
{
    struct limine_file *f = limine_arena_alloc(&B->arena, sizeof(*f));
    EFI_STATUS st;

    if (!f)
        return arena_full();
    if ((st = limine_file_executable(B, f)))
        return st;
    if (file_req) {
        struct limine_executable_file_resp *p = respond(B, file_req, sizeof(*p), RESP_REV_DEFAULT);
        if (!p)
            return arena_full();
        p->executable_file = limine_kva(B, f);
    }
    if (cmd_req) {
        struct limine_executable_cmdline_resp *p = respond(B, cmd_req, sizeof(*p), RESP_REV_DEFAULT);
        if (!p)
            return arena_full();
        p->cmdline = f->string;
    }
    return EFI_SUCCESS;
}

/* Memory map: the response and room for the entries and their pointers;
 * EFI memory map: room for a copy of the final firmware map. Both filled
 * after the exit. The capacities follow the tracker's (limine_paging.c). */
static EFI_STATUS resp_memmaps(struct limine_boot *B, const struct limine_req *mm_req,
                               const struct limine_req *efi_req)
{
    if (mm_req && !(B->memmap_resp = respond(B, mm_req, sizeof(*B->memmap_resp), RESP_REV_DEFAULT)))
        return arena_full();
    if (efi_req && !(B->efi_map_resp = respond(B, efi_req, sizeof(*B->efi_map_resp), RESP_REV_DEFAULT)))
        return arena_full();
    return EFI_SUCCESS;
}

EFI_STATUS limine_responses(struct limine_boot *B)
{
    const struct limine_req *mod = limine_scan_find(&B->scan, LIMINE_REQ_MODULE);
    EFI_STATUS st = EFI_SUCCESS;

    for (size_t i = 0; st == EFI_SUCCESS && i < B->scan.count; i++) {
        const struct limine_req *r = &B->scan.reqs[i];
        if (r->kind == LIMINE_REQ_FRAMEBUFFER)
            st = resp_framebuffer(B, r);
        else if (r->kind == LIMINE_REQ_MP)
            st = limine_mp_prepare(B, r);
        else
            st = resp_simple(B, r);
        if (st == EFI_SUCCESS)
            st = resp_tables(B, r);
    }
    if (st == EFI_SUCCESS)
        st = resp_files(B, limine_scan_find(&B->scan, LIMINE_REQ_EXECUTABLE_FILE),
                        limine_scan_find(&B->scan, LIMINE_REQ_EXECUTABLE_CMDLINE));
    if (st == EFI_SUCCESS && (mod || B->cfg->nmodules)) {
        struct limine_module_resp *p = mod ? respond(B, mod, sizeof(*p), RESP_REV_MODULE) : NULL;
        if (mod && !p)
            return arena_full();
        /* Without a request, config modules are still read: a missing file
         * is refused the same way whoever asks. */
        struct limine_module_resp unused;
        st = limine_modules(B, mod, p ? p : &unused);
    }
    if (st == EFI_SUCCESS)
        st = resp_memmaps(B, limine_scan_find(&B->scan, LIMINE_REQ_MEMMAP),
                          limine_scan_find(&B->scan, LIMINE_REQ_EFI_MEMMAP));
    return st;
}
