/* Files a Limine kernel gets: its own executable file and its modules (the
 * module request's internal modules, then pagoda.conf's module= lines), each
 * copied into its own page-aligned allocation typed like the kernel image,
 * which the memory map reports as "executable and modules". Paths reach the
 * kernel with '/' separators and a leading '/', from the boot volume's root.
 * A missing file is refused when the spec says so (a REQUIRED internal
 * module) and for every module= line (the user named it); a missing
 * optional internal module is left out of the response, with a message. */
#include <string.h>

#include "limine.h"

/* The name the embedded kernel (inside the loader) is reported under. */
#define EMBEDDED_KERNEL_PATH "\\pagoda-embedded-kernel.elf"

/* "\a\b" -> "/a/b" (a leading '/' added when missing) in the arena. */
static char *kernel_path(struct limine_arena *a, const char *path)
{
    char *out = limine_arena_alloc(a, strlen(path) + 2);
    size_t n = 0;

    if (!out)
        return NULL;
    if (path[0] != '\\')
        out[n++] = '/';
    for (; *path; path++)
        out[n++] = *path == '\\' ? '/' : *path;
    out[n] = '\0';
    return out;
}

/* Copy `size` bytes into fresh executable-and-modules pages. */
static EFI_STATUS copy_out(const void *data, UINTN size, paddr_t *pa)
{
    EFI_STATUS st = alloc_pages(PAGODA_MEM_KERNEL, size ? size : 1, AllocateAnyPages, 0, pa);

    if (st == EFI_SUCCESS) {
        memset((void *)(uintptr_t)*pa, 0, ALIGN_UP(size ? size : 1, PAGE_SIZE));
        memcpy((void *)(uintptr_t)*pa, data, size);
    }
    return st;
}

static EFI_STATUS fill_file(struct limine_boot *B, struct limine_file *f, const void *data, UINTN size,
                            const char *path, const char *string)
{
    paddr_t pa;
    EFI_STATUS st = copy_out(data, size, &pa);
    char *p = kernel_path(&B->arena, path);
    char *s = limine_arena_str(&B->arena, string);

    if (st)
        return st;
    if (!p || !s) {
        con_printf("pagoda: limine: the response arena is full\n");
        return EFI_OUT_OF_RESOURCES;
    }
    *f = (struct limine_file){ .address = B->hhdm + pa, .size = size, .path = limine_kva(B, p),
                               .string = limine_kva(B, s), .media_type = LIMINE_MEDIA_GENERIC };
    return EFI_SUCCESS;
}

EFI_STATUS limine_file_executable(struct limine_boot *B, struct limine_file *out)
{
    const char *path = B->cfg->kernel[0] ? B->cfg->kernel : EMBEDDED_KERNEL_PATH;

    return fill_file(B, out, B->file, B->file_size, path, B->cfg->cmdline);
}

static EFI_STATUS read_file(struct limine_boot *B, const char *path, void **data, UINTN *size)
{
    CHAR16 wide[CONFIG_PATH_MAX];

    for (size_t i = 0; i < CONFIG_PATH_MAX; i++)
        wide[i] = (CHAR16)(unsigned char)path[i];
    return fs_read_file(B->image, wide, data, size);
}

/* One module: read, copy, describe. Returns EFI_NOT_FOUND for a missing
 * file (the caller decides), other errors as they come. */
static EFI_STATUS load_module(struct limine_boot *B, const struct limine_module_src *m, struct limine_file *f)
{
    void *data;
    UINTN size;
    EFI_STATUS st = read_file(B, m->path, &data, &size);

    if (st == EFI_SUCCESS) {
        st = chain_module(B->cfg, m->path, data, size);   /* pinned or refused; measured */
        if (st == EFI_SUCCESS)
            st = fill_file(B, f, data, size, m->path, m->string);
        uefi_call_wrapper(BS->FreePool, 1, data);   /* fails only for a foreign buffer */
    }
    if (st == EFI_SUCCESS)
        con_printf("pagoda: limine: module %s (%lu bytes) \"%s\"\n", m->path, (unsigned long)size, m->string);
    return st;
}

/* An internal module's path: '/'-rooted paths from the volume root, others
 * relative to the kernel file's directory (spec: "Module Feature"). */
static bool internal_path(const struct limine_boot *B, const char *rel, char out[CONFIG_PATH_MAX])
{
    const char *kernel = B->cfg->kernel[0] ? B->cfg->kernel : EMBEDDED_KERNEL_PATH;
    size_t dir = 0, n = 0;

    if (rel[0] != '/' && rel[0] != '\\') {
        for (size_t i = 0; kernel[i]; i++)
            if (kernel[i] == '\\')
                dir = i + 1;
        if (dir >= CONFIG_PATH_MAX)
            return false;
        memcpy(out, kernel, dir);
        n = dir;
    }
    for (; *rel; rel++) {
        if (n + 1 >= CONFIG_PATH_MAX)
            return false;
        out[n++] = *rel == '/' ? '\\' : *rel;
    }
    out[n] = '\0';
    return true;
}

/* The internal modules the request lists (request revision 1+), read from
 * the kernel image. Refuses malformed lists: the kernel's own data. */
static EFI_STATUS internal_modules(struct limine_boot *B, const struct limine_req *r,
                                   struct limine_module_src *src, size_t *n)
{
    const uint64_t count = limine_req_u64(r, offsetof(struct limine_module_req, internal_module_count));
    const vaddr_t list = limine_req_u64(r, offsetof(struct limine_module_req, internal_modules));

    if (count > LIMINE_MODULES_MAX) {
        con_printf("pagoda: limine: %lu internal modules; Pagoda takes %d\n", (unsigned long)count,
                   LIMINE_MODULES_MAX);
        return EFI_UNSUPPORTED;
    }
    for (uint64_t i = 0; i < count; i++) {
        const uint64_t *slot = limine_image_ptr(B, list + 8 * i, sizeof(uint64_t));
        const struct limine_internal_module *m =
            slot ? limine_image_ptr(B, *slot, sizeof(*m)) : NULL;
        const char *path = m ? limine_image_str(B, m->path, CONFIG_PATH_MAX) : NULL;
        const char *string = m ? limine_image_str(B, m->string, CONFIG_CMDLINE_MAX) : NULL;
        if (!path || !string || !internal_path(B, path, src[*n].path)) {
            con_printf("pagoda: limine: internal module %lu: pointers outside the kernel image\n",
                       (unsigned long)i);
            return EFI_LOAD_ERROR;
        }
        if (m->flags & LIMINE_INTERNAL_MODULE_COMPRESSED) {
            con_printf("pagoda: limine: internal module %s is compressed; Pagoda does not decompress\n", path);
            return EFI_UNSUPPORTED;
        }
        src[*n].string = string;
        src[*n].required = (m->flags & LIMINE_INTERNAL_MODULE_REQUIRED) != 0;
        ++*n;
    }
    return EFI_SUCCESS;
}

EFI_STATUS limine_modules(struct limine_boot *B, const struct limine_req *r, struct limine_module_resp *resp)
{
    static struct limine_module_src src[LIMINE_MODULES_MAX];
    size_t n = 0, served = 0;
    EFI_STATUS st;

    if (r && r->revision >= 1 && (st = internal_modules(B, r, src, &n)))
        return st;
    for (size_t i = 0; i < B->cfg->nmodules; i++, n++) {
        if (n == LIMINE_MODULES_MAX) {
            con_printf("pagoda: limine: more than %d modules\n", LIMINE_MODULES_MAX);
            return EFI_UNSUPPORTED;
        }
        memcpy(src[n].path, B->cfg->modules[i].path, CONFIG_PATH_MAX);
        src[n].string = B->cfg->modules[i].string;
        src[n].required = true;   /* named by the user: its absence is an error */
    }
    uint64_t *list = limine_arena_alloc(&B->arena, (n ? n : 1) * sizeof(uint64_t));
    struct limine_file *files = limine_arena_alloc(&B->arena, (n ? n : 1) * sizeof(*files));
    if (!list || !files) {
        con_printf("pagoda: limine: the response arena is full\n");
        return EFI_OUT_OF_RESOURCES;
    }
    for (size_t i = 0; i < n; i++) {
        st = load_module(B, &src[i], &files[served]);
        if (st == EFI_NOT_FOUND && !src[i].required) {
            con_printf("pagoda: limine: optional module %s not found: left out\n", src[i].path);
            continue;
        }
        if (st) {
            con_printf("pagoda: limine: module %s: %s%s\n", src[i].path, efi_status_str(st),
                       st == EFI_NOT_FOUND ? " (a required module)" : "");
            return st;
        }
        list[served] = limine_kva(B, &files[served]);
        served++;
    }
    resp->module_count = served;
    resp->modules = limine_kva(B, list);
    return EFI_SUCCESS;
}
